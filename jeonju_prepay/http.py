def client_ip(request) -> str:
    """The client's address. Behind a proxy, set the proxy to overwrite X-Real-IP."""
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or "unknown"
