"""Tests of the Citus cluster itself: where cities are placed, and the operations that move
them (docs/scale-out.md). They run when ``JP_CITUS=1`` says the database is a Citus
coordinator (``make test-citus``), and fail there if it is not; elsewhere (``make test``, a
single PostgreSQL) they are deselected, not skipped."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from cities import scaleout


def pytest_collection_modifyitems(config, items):
    if os.environ.get("JP_CITUS") == "1":
        return
    citus = [item for item in items if item.get_closest_marker("citus")]
    if citus:
        config.hook.pytest_deselected(items=citus)
        items[:] = [item for item in items if not item.get_closest_marker("citus")]


@pytest.fixture
def citus(django_db_setup, django_db_blocker):
    """The cluster's workers (at least two); fails when the database has no Citus."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        if not scaleout.citus_active():
            pytest.fail("JP_CITUS=1 but the database has no Citus cluster")
        workers = scaleout.workers()
    assert len(workers) >= 2, f"a cluster of two workers at least, not {workers}"
    return workers
