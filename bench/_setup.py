"""Shared setup for the bench scripts: Django settings, a bench city, timing helpers."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jeonju_prepay.settings.local")


def django_setup() -> None:
    import django

    django.setup()


def bench_host(schema: str) -> str:
    return schema.replace("_", "-") + ".localhost"  # host names take no underscores


def bench_city(schema: str, name: str = "벤치시"):
    """The bench city ``schema`` (host ``bench_host(schema)``), created and migrated if new."""
    from cities.models import City
    from cities.services import city_create

    city = City.objects.filter(schema_name=schema).first()
    if city is None:
        city = city_create(schema_name=schema, name=name, domain=bench_host(schema))
    return city


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(latencies_ms: list[float]) -> str:
    return (
        f"p50 {percentile(latencies_ms, 50):.2f} ms, p95 {percentile(latencies_ms, 95):.2f} ms, "
        f"p99 {percentile(latencies_ms, 99):.2f} ms, mean {statistics.fmean(latencies_ms):.2f} ms"
    )
