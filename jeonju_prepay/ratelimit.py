"""Fixed-window counters in the (tenant-aware) cache, for attempts that must be throttled.

Keys are prefixed with the city's schema by the cache's KEY_FUNCTION, so one city's counters
never touch another's. With Redis the increment is atomic across processes.

A limit counts the current window and the one before it: with the current window alone, hits
at the end of one window and the start of the next would get twice the limit in a few seconds
(5 wrong passwords at 10:04:59 and 5 more at 10:05:00). Counting both, no span of one window
ever holds more than ``max_hits``; a subject that used its hits waits one to two windows.
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


def _window_key(limit: Limit, subject: str, *, back: int = 0) -> tuple[str, int]:
    now = time.time()
    window = int(now // limit.window_seconds)
    reset_in = (window + 1) * limit.window_seconds - int(now)
    return f"rl:{limit.name}:{subject}:{window - back}", max(1, reset_in)


def count(limit: Limit, subject: str) -> int:
    """Hits in this window and the one before."""
    key, _ = _window_key(limit, subject)
    previous, _ = _window_key(limit, subject, back=1)
    return int(cache.get(key, 0)) + int(cache.get(previous, 0))


def is_limited(limit: Limit, subject: str) -> int:
    """Seconds to wait if ``subject`` has used up ``limit``, else 0."""
    key, reset_in = _window_key(limit, subject)
    if count(limit, subject) < limit.max_hits:
        return 0
    # Once this window's hits alone reach the limit, they weigh on the next window too.
    return reset_in + (limit.window_seconds if int(cache.get(key, 0)) >= limit.max_hits else 0)


def hit(limit: Limit, subject: str) -> int:
    """Count one attempt; returns the count in this window and the one before."""
    key, reset_in = _window_key(limit, subject)
    timeout = reset_in + limit.window_seconds + 1  # still read as "the window before" next
    if not cache.add(key, 1, timeout=timeout):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
    return count(limit, subject)


def reset(limit: Limit, subject: str) -> None:
    for back in (0, 1):
        key, _ = _window_key(limit, subject, back=back)
        cache.delete(key)
