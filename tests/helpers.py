"""Running code in real threads against PostgreSQL, each on its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, connections

# PostgreSQL's default max_connections is 100; like a web tier behind a connection pool,
# larger races queue for one of this many connections.
MAX_CONNECTIONS = 64


def race(
    city, n: int, fn: Callable[[int], Any], *, timeout: float = 300, workers: int | None = None
) -> list[Any]:
    """Run ``fn(i)`` for i in 0..n-1 from threads released at the same instant.

    With ``n`` up to ``MAX_CONNECTIONS`` every call has its own thread and connection; beyond
    that, ``workers`` threads (default ``MAX_CONNECTIONS``) take the calls in turn, so that many
    are in flight at every moment. Returns each call's result, or the exception it raised.
    """
    workers = min(n, workers or MAX_CONNECTIONS)
    barrier = threading.Barrier(workers)
    results: list[Any] = [None] * n
    lock = threading.Lock()
    queue = list(range(n))

    def run() -> None:
        try:
            connection.set_tenant(city)
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.pop(0)
                try:
                    results[i] = fn(i)
                except BaseException as exc:  # collected for the test to assert on
                    results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a racing thread hung"
    return results


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a server a test starts, from ``TEST_PORT_RANGE``
    (e.g. ``8100-8199``, on a machine shared with others) or any the system gives."""
    import os
    import socket

    span = os.environ.get("TEST_PORT_RANGE", "")
    candidates = [0]
    if span:
        low, high = (int(part) for part in span.split("-"))
        candidates = list(range(low, high + 1))
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in TEST_PORT_RANGE={span}")
