"""Run the admission step of a city's open sales every half second (beside the position polls,
which drive it too): ``manage.py sales_run --schema jeonju [--once]``."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import connection
from django_tenants.utils import schema_context

from sales.models import Sale
from sales.services import sale_tick


class Command(BaseCommand):
    help = "Admit waiting tickets of the city's running sales in order, paced."

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True)
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=0.5)

    def handle(self, *args, schema, once, interval, **options):
        with schema_context(schema):
            while True:
                running = Sale.objects.exclude(status=Sale.Status.CLOSED).values_list(
                    "pk", flat=True
                )
                for sale_id in running:
                    report = sale_tick(sale_id=sale_id)
                    if report and (report.admitted or report.expired or report.refused):
                        self.stdout.write(
                            f"sale {sale_id}: admitted {report.admitted},"
                            f" expired {report.expired}, not allocated {report.refused}"
                        )
                if once:
                    return
                connection.close_if_unusable_or_obsolete()
                time.sleep(interval)
