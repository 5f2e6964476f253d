"""setup_platform migrates many cities at once (django-tenants' multiprocessing executor) and
says how long each took."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from cities.models import City

ROOT = Path(__file__).resolve().parents[2]


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.slow
def test_setup_platform_migrates_new_cities_in_parallel_and_times_each(committed_db):
    connection.set_schema_to_public()
    # Two cities whose schemas exist but were never migrated (as after an upgrade that brings
    # new migrations, every city has some to run).
    fresh = [f"mig_{uuid.uuid4().hex[:6]}_{n}" for n in (1, 2)]
    for schema in fresh:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
        city = City(schema_name=schema, name=f"이주시 {schema}")
        city.auto_create_schema = False
        city.save()
        assert "ledger_posting" not in _tables(schema)
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
    }
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "setup_platform", "--processes", "2"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        cities = list(
            City.objects.exclude(schema_name="public").values_list("schema_name", flat=True)
        )
        assert f"Migrating {len(cities)} city schemas, 2 at a time" in out
        # One line per city with its time, from the worker that migrated it.
        timed = dict(re.findall(r"^  (\w+): migrated in (\d+\.\d) s$", out, re.MULTILINE))
        assert set(timed) == set(cities)
        assert re.search(rf"^{len(cities)} cities migrated; sum of their times", out, re.MULTILINE)
        assert "Platform ready in" in out
        for schema in fresh:
            assert {"ledger_posting", "vouchers_payment", "dashboard_jobrun"} <= _tables(schema)
    finally:
        for schema in fresh:
            City.objects.filter(schema_name=schema).delete()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
