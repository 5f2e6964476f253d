"""The Celery app. Every task carries its city's schema (tenant-schemas-celery) and runs in it."""

import os

from tenant_schemas_celery.app import CeleryApp

from jeonju_prepay import celery_health
from jeonju_prepay.observability import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jeonju_prepay.settings.local")

app = CeleryApp("jeonju_prepay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Log lines of a task carry its id as the request id (jeonju_prepay/observability.py).
connect_celery_signals()
# Liveness and readiness files for the container health checks (jeonju_prepay/celery_health.py).
celery_health.install(app)
