"""Tests of the Citus cluster itself: where cities are placed, and the operations that move
them (docs/scale-out.md). They run against a coordinator (``make test-citus``); on a single
PostgreSQL they are skipped, except when ``JP_CITUS=1`` says a cluster is expected, where a
missing one fails them."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from cities import scaleout


@pytest.fixture
def citus(django_db_setup, django_db_blocker):
    """The cluster's workers (at least two); skips without Citus (fails under JP_CITUS=1)."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        if not scaleout.citus_active():
            if os.environ.get("JP_CITUS") == "1":
                pytest.fail("JP_CITUS=1 but the database has no Citus cluster")
            pytest.skip("needs a Citus cluster (make test-citus)")
        workers = scaleout.workers()
    assert len(workers) >= 2, f"a cluster of two workers at least, not {workers}"
    return workers
