"""Routes each request to its city's schema by host name."""

from __future__ import annotations

import time

from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpResponseNotFound
from django_tenants.middleware.main import TenantMainMiddleware

_TTL_SECONDS = 30.0
_domain_cache: dict[str, tuple[float, object]] = {}


class CityMiddleware(TenantMainMiddleware):
    """django-tenants' router with a short per-process cache and a plain 404.

    A host that belongs to no city gets a bare 404 that names nothing: no host, no city list,
    no debug page.
    """

    def get_tenant(self, domain_model, hostname):
        now = time.monotonic()
        hit = _domain_cache.get(hostname)
        if hit is not None and hit[0] > now:
            return hit[1]
        tenant = super().get_tenant(domain_model, hostname)
        _domain_cache[hostname] = (now + _TTL_SECONDS, tenant)
        return tenant

    def process_request(self, request):
        """As django-tenants does, but a connection already on this city's schema keeps its
        search_path (no ``SET search_path`` per request) when the host is in the cache."""
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return HttpResponseNotFound()
        hit = _domain_cache.get(hostname)
        if hit is None or hit[0] <= time.monotonic():
            return super().process_request(request)
        tenant = hit[1]
        tenant.domain_url = hostname
        request.tenant = tenant
        if connection.schema_name != tenant.schema_name:
            connection.set_tenant(tenant)
        self.setup_url_routing(request)
        return None

    def no_tenant_found(self, request, hostname):
        return HttpResponseNotFound(
            b"<!doctype html><title>404</title><h1>404 Not Found</h1>",
            content_type="text/html; charset=utf-8",
        )


def clear_domain_cache() -> None:
    _domain_cache.clear()
