"""Fixed-window counters in the (tenant-aware) cache, for attempts that must be throttled.

Keys are prefixed with the city's schema by the cache's KEY_FUNCTION, so one city's counters
never touch another's. With Redis the increment is atomic across processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window_seconds: int


def _window_key(limit: Limit, subject: str) -> tuple[str, int]:
    window = int(time.time() // limit.window_seconds)
    reset_in = (window + 1) * limit.window_seconds - int(time.time())
    return f"rl:{limit.name}:{subject}:{window}", max(1, reset_in)


def count(limit: Limit, subject: str) -> int:
    key, _ = _window_key(limit, subject)
    return int(cache.get(key, 0))


def is_limited(limit: Limit, subject: str) -> int:
    """Seconds to wait if ``subject`` has used up ``limit`` in this window, else 0."""
    key, reset_in = _window_key(limit, subject)
    return reset_in if int(cache.get(key, 0)) >= limit.max_hits else 0


def hit(limit: Limit, subject: str) -> int:
    """Count one attempt; returns the count in the current window."""
    key, reset_in = _window_key(limit, subject)
    if cache.add(key, 1, timeout=reset_in + 1):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=reset_in + 1)
        return 1


def reset(limit: Limit, subject: str) -> None:
    key, _ = _window_key(limit, subject)
    cache.delete(key)
