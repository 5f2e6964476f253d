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


def bench_city_drop(schema: str) -> None:
    """Drop the bench city ``schema`` (its schema, its city and domain rows), so that the next
    ``bench_city`` starts from an empty city. Only bench cities."""
    from django.db import connection, transaction

    if not schema.startswith("bench_"):
        raise ValueError(f"{schema} is not a bench city")
    connection.set_schema_to_public()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM cities_domain WHERE tenant_id IN"
            " (SELECT id FROM cities_city WHERE schema_name = %s)",
            [schema],
        )
        cursor.execute("DELETE FROM cities_city WHERE schema_name = %s", [schema])
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


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
