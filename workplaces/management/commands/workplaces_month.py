"""python manage.py workplaces_month --schema jeonju [--month YYYY-MM]

A closed month of the city without dismissal: flag the reports still missing after their
reminder, remind the employers whose report is missing, pay the incentives due. Each part is
idempotent: running it again changes nothing (the staff page's "month's run" does the same).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from workplaces import rules, services


class Command(BaseCommand):
    help = "Chase missing reports and pay the incentives of a closed month (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True, help="the city's schema, e.g. jeonju")
        parser.add_argument("--month", help="YYYY-MM (default: last month)")

    def handle(self, *args, schema, month=None, **options):
        if schema == get_public_schema_name() or not (
            get_tenant_model().objects.filter(schema_name=schema).exists()
        ):
            raise CommandError(f"no city with the schema {schema!r}")
        if month:
            first = rules.month_parse(month)
            if first is None:
                raise CommandError("the month is written YYYY-MM")
        else:
            first = rules.month_add(timezone.localdate().replace(day=1), -1)
        with schema_context(schema):
            flagged = services.reports_flag_missing(month=first)
            chased = services.reports_chase(month=first)
            paid = services.incentives_run(month=first)
        self.stdout.write(
            f"{first:%Y-%m}: {chased} reminders, {flagged} missing flagged, "
            f"{paid['paid']} paid ({paid['amount']:,} won), {paid['no_budget']} without budget"
        )
