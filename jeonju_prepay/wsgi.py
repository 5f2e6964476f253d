import os

from django.conf import settings
from django.core.cache import caches
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jeonju_prepay.settings.local")

application = get_wsgi_application()

# Import every view and the cache's client now, while the worker starts, not in its first
# request: a city's URLs and the platform's pull in ~200 modules (0.2 s), redis-py 0.26 s.
# gunicorn loads this module before a worker takes its first connection, so a restart on a busy
# morning does not stall the first request each worker serves (on a charge day, half a second
# of arrivals queued behind every fresh worker). Nothing here connects to anything.
for urlconf in (settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF):
    get_resolver(urlconf).url_patterns  # noqa: B018
for alias in settings.CACHES:
    caches[alias]
