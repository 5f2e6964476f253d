import json

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from jeonju_prepay.db import snapshot
from ledger.selectors import ledger_check


class Command(BaseCommand):
    help = (
        "Recompute every balance from the postings, check that all postings sum to zero and no "
        "entry is unbalanced. Exits 1 and names each mismatch when anything is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="one city's schema (default: every city)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, schema=None, **options):
        cities = get_tenant_model().objects.exclude(schema_name=get_public_schema_name())
        if schema:
            cities = cities.filter(schema_name=schema)
            if not cities.exists():
                raise CommandError(f"No city with schema {schema!r}.")
        failed = []
        for city in cities.order_by("schema_name"):
            with schema_context(city.schema_name), snapshot():
                report = ledger_check()
            if options["json"]:
                self.stdout.write(json.dumps({city.schema_name: report.as_dict()}))
            else:
                self._print(city.schema_name, report)
            if not report.ok:
                failed.append(city.schema_name)
        if failed:
            raise CommandError(f"ledger_check failed for: {', '.join(failed)}", returncode=1)

    def _print(self, schema, report):
        status = self.style.SUCCESS("OK") if report.ok else self.style.ERROR("MISMATCH")
        self.stdout.write(
            f"[{schema}] {status}: {report.accounts} accounts, {report.entries} entries, "
            f"{report.postings} postings; postings sum {report.postings_sum}, "
            f"balances sum {report.balances_sum}"
        )
        for account_id, kind, stored, computed in report.balance_mismatches:
            self.stdout.write(
                self.style.ERROR(
                    f"  account {account_id} ({kind}): stored balance {stored:,} "
                    f"but postings sum to {computed:,}"
                )
            )
        for entry_id, count, total in report.unbalanced_entries:
            self.stdout.write(
                self.style.ERROR(f"  entry {entry_id}: {count} postings summing to {total:,}")
            )
        for account_id, kind, balance in report.negative_accounts:
            self.stdout.write(
                self.style.ERROR(f"  account {account_id} ({kind}) is negative: {balance:,}")
            )
