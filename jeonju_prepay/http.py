import ipaddress


def client_ip(request) -> str | None:
    """The client's address, or None when the request carries no valid one (it is stored in
    inet columns, so "unknown" or a typed-in header must never get that far). Behind a proxy,
    set the proxy to overwrite X-Real-IP."""
    for candidate in (request.META.get("HTTP_X_REAL_IP"), request.META.get("REMOTE_ADDR")):
        if candidate:
            try:
                return str(ipaddress.ip_address(candidate.strip()))
            except ValueError:
                continue
    return None
