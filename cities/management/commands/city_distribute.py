from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cities import scaleout
from cities.exceptions import CityError


class Command(BaseCommand):
    help = (
        "Make a city created before Citus (a schema local to the coordinator) a distributed "
        "schema on a worker, in one transaction that refuses to change any row; its requests "
        "wait while its tables are copied. Then checks its ledger (docs/scale-out.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True)

    def handle(self, *args, schema, **options):
        try:
            report = scaleout.city_distribute(schema_name=schema)
        except CityError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"[{schema}] on {report.node}: {report.tables} tables, {report.rows:,} rows "
                f"unchanged, {report.functions} functions run there"
            )
        )
        call_command("ledger_check", schema=schema, stdout=self.stdout)
