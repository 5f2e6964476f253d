"""Running code in real threads against PostgreSQL, each on its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, connections


def race(city, n: int, fn: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """Start ``fn(i)`` for i in 0..n-1 in ``n`` threads released at the same instant.

    Each thread opens its own connection in ``city``'s schema. Returns each call's result, or
    the exception it raised, in order.
    """
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            connection.set_tenant(city)
            barrier.wait(timeout=timeout)
            results[i] = fn(i)
        except BaseException as exc:  # collected for the test to assert on
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a racing thread hung"
    return results
