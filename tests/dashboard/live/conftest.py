"""Tests here commit for real, in a city schema of their own (``live_city``), from threads and
processes. They carry the ``django_db`` marker only so that pytest-django sets the test database
up even when they run alone (it does so only for tests marked or using ``db``); this
``_django_db_helper`` gives them database access without the transaction or flush of ``db``."""

import pytest


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield
