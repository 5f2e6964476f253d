import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address, or None when the request carries no valid one (it is stored in
    inet columns, so "unknown" or a typed-in header must never get that far).

    The header named by ``TRUSTED_CLIENT_IP_HEADER`` (e.g. ``X-Real-IP``) is read only when it
    is set, that is behind a proxy that overwrites the header (deploy/nginx.conf); otherwise
    anyone could send one and walk past the per-address limits. Without it, the socket's
    address."""
    header = settings.TRUSTED_CLIENT_IP_HEADER
    candidates = (request.headers.get(header) if header else None, request.META.get("REMOTE_ADDR"))
    for candidate in candidates:
        if candidate:
            try:
                return str(ipaddress.ip_address(candidate.strip()))
            except ValueError:
                continue
    return None
