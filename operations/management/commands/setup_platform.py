"""Migrate the public schema, then every city's schema several at a time, and report how long
each city took.

City schemas are migrated by django-tenants' multiprocessing executor: a pool of
``--processes`` worker processes (default ``MIGRATION_PROCESSES``, 2), each with its own
database connection, so an upgrade of many cities takes about total / processes. Each city's
time is measured in the worker that migrated it (django-tenants' ``schema_pre_migration`` and
``schema_migrated`` signals) and the command prints one line per city as it finishes, then a
summary with the slowest ones.
"""

from __future__ import annotations

import multiprocessing
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.signals import schema_migrated, schema_pre_migration
from django_tenants.utils import get_public_schema_name, get_tenant_model

from cities.services import public_tenant_ensure
from ledger.schedule import idempotency_purge_schedule_ensure
from messaging.schedule import reminders_schedule_ensure
from operations.schedule import nightly_schedule_ensure, outbox_schedule_ensure
from vouchers.toss_tasks import toss_sync_schedule_ensure


class Command(BaseCommand):
    help = (
        "Migrate the public schema and every city schema (several cities at a time), create "
        "the cache table, the platform host and the periodic tasks. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="cities migrated at once (default MIGRATION_PROCESSES, 2); each holds one "
            "database connection",
        )

    def handle(self, *args, processes=None, **options):
        verbosity = max(0, options["verbosity"] - 1)
        started = time.monotonic()
        self.stdout.write("Migrating the public schema ...")
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        call_command("createcachetable", verbosity=verbosity)
        public_tenant_ensure(domain=settings.PUBLIC_DOMAIN)
        public_tenant_ensure(domain="127.0.0.1")
        public_seconds = time.monotonic() - started

        cities = list(
            get_tenant_model()
            .objects.exclude(schema_name=get_public_schema_name())
            .order_by("schema_name")
            .values_list("schema_name", flat=True)
        )
        processes = max(1, processes or settings.TENANT_MULTIPROCESSING_MAX_PROCESSES)
        processes = min(processes, max(1, len(cities)))
        self.stdout.write(
            f"Public schema: {public_seconds:.1f} s. Migrating {len(cities)} city schemas, "
            f"{processes} at a time ..."
        )
        times = self._migrate_cities(processes=processes, verbosity=verbosity)

        _task, created = nightly_schedule_ensure()
        if created:
            self.stdout.write("Nightly run scheduled at 02:00 Asia/Seoul (django-celery-beat).")
        _task, created = outbox_schedule_ensure()
        if created:
            self.stdout.write("Payment-provider outbox swept every 5 minutes (django-celery-beat).")
        reminders_schedule_ensure()  # daily messages (expiring prepaid balances), 10:00
        _task, created = idempotency_purge_schedule_ensure()
        if created:
            self.stdout.write("Idempotency records purged daily at 03:30 Asia/Seoul.")
        _task, created = toss_sync_schedule_ensure()
        if created:
            self.stdout.write("Toss charges left waiting are read back every 5 minutes.")
        total = time.monotonic() - started
        if times:
            slowest = sorted(times.items(), key=lambda item: -item[1])[:5]
            self.stdout.write(
                f"{len(times)} cities migrated; sum of their times {sum(times.values()):.1f} s, "
                f"slowest: " + ", ".join(f"{city} {seconds:.1f} s" for city, seconds in slowest)
            )
        missing = sorted(set(cities) - set(times))
        if missing:
            self.stderr.write(f"No time reported for: {', '.join(missing)}")
        self.stdout.write(self.style.SUCCESS(f"Platform ready in {total:.1f} s."))

    def _migrate_cities(self, *, processes: int, verbosity: int) -> dict[str, float]:
        """Run django-tenants' multiprocessing executor over every city; return each city's
        time in seconds as its worker measured it."""
        context = multiprocessing.get_context("fork")  # what the executor's pool uses
        reports = context.SimpleQueue()
        began: dict[str, float] = {}

        def before(sender, schema_name, **kwargs):
            began[schema_name] = time.monotonic()

        def after(sender, schema_name, **kwargs):
            if schema_name == get_public_schema_name() or schema_name not in began:
                return
            seconds = time.monotonic() - began.pop(schema_name)
            self.stdout.write(f"  {schema_name}: migrated in {seconds:.1f} s")
            self.stdout.flush()
            reports.put((schema_name, seconds))

        schema_pre_migration.connect(before, weak=False, dispatch_uid="setup-platform-before")
        schema_migrated.connect(after, weak=False, dispatch_uid="setup-platform-after")
        previous = getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 2)
        settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = processes
        try:
            call_command(
                "migrate_schemas",
                tenant=True,
                interactive=False,
                verbosity=verbosity,
                executor="multiprocessing",
            )
        finally:
            settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = previous
            schema_pre_migration.disconnect(dispatch_uid="setup-platform-before")
            schema_migrated.disconnect(dispatch_uid="setup-platform-after")
        times: dict[str, float] = {}
        while not reports.empty():
            city, seconds = reports.get()
            times[city] = seconds
        return times
