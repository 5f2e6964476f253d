"""The beat scheduler: django-celery-beat's database schedule, tenant-aware, read from the public
schema only.

django-celery-beat is a shared app here: its tables exist in the public schema alone. The stock
``TenantAwareDatabaseScheduler`` also reads "each city's" periodic tasks, but a city's search
path falls back to public, so it reads the public rows again and refuses them as duplicates
(beat stops). Cities get their runs from the public dispatcher (``operations.tasks``) instead.
"""

from __future__ import annotations

from django_celery_beat.models import PeriodicTasks
from django_tenants.utils import get_public_schema_name, schema_context
from tenant_schemas_celery.db_scheduler import TenantAwareDatabaseScheduler

from jeonju_prepay import celery_health


class PublicPeriodicTasks:
    @classmethod
    def last_change(cls):
        with schema_context(get_public_schema_name()):
            return PeriodicTasks.last_change()


class PublicDatabaseScheduler(TenantAwareDatabaseScheduler):
    Changes = PublicPeriodicTasks

    def tick(self, *args, **kwargs):
        """One turn of beat's loop; then beat reports itself alive (the container's health check,
        jeonju_prepay/celery_health.py). A tick that raises (the schedule cannot be read)
        reports nothing, and the check fails after a minute."""
        wait = super().tick(*args, **kwargs)
        celery_health.mark_alive("beat")
        return wait

    def get_tenant_schema_names(self, exclude_schemas: list[str]) -> list[str]:
        return []
