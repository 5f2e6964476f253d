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
