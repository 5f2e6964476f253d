from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from cities.services import public_tenant_ensure
from dashboard.schedule import nightly_schedule_ensure
from messaging.schedule import reminders_schedule_ensure


class Command(BaseCommand):
    help = (
        "Migrate the public schema and every city schema, create the cache table, the "
        "platform host and the nightly schedule. Safe to run again."
    )

    def handle(self, *args, **options):
        verbosity = max(0, options["verbosity"] - 1)
        self.stdout.write("Migrating the public schema ...")
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        call_command("createcachetable", verbosity=verbosity)
        public_tenant_ensure(domain=settings.PUBLIC_DOMAIN)
        public_tenant_ensure(domain="127.0.0.1")
        self.stdout.write("Migrating city schemas ...")
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        _task, created = nightly_schedule_ensure()
        if created:
            self.stdout.write("Nightly run scheduled at 02:00 Asia/Seoul (django-celery-beat).")
        reminders_schedule_ensure()  # daily messages (expiring prepaid balances), 10:00
        self.stdout.write(self.style.SUCCESS("Platform ready."))
