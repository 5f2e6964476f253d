"""Fixtures shared by the suite.

Two test cities, ``jeonju`` and ``wanju``, are created once per run in the test database, each in
its own schema (hosts ``jeonju.localhost`` and ``wanju.localhost``). Most tests run inside a
transaction that is rolled back (``city``). Tests that race real threads or serve a real browser
need committed data: they take ``live_city``, a fresh city schema of their own.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from cities.middleware import clear_domain_cache
from cities.models import City
from cities.services import city_create, public_tenant_ensure
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.merchants.factories import ShopFactory
from vouchers.services import budget_fund, pin_set, policy_set

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CITY_HOST = "jeonju.localhost"
OTHER_CITY_HOST = "wanju.localhost"

_live_counter = itertools.count(1)


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb):
    """The test database with the public host and the two test cities, migrated.

    Replaces pytest-django's fixture, which sets a test database up only when some collected
    test asks for ``db``: tests that need committed data (``live_city``) do not, and must never
    fall through to the development database.
    """
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},
            keepdb=django_db_keepdb,
        )
        assert connection.settings_dict["NAME"].startswith("test_"), "not a test database"
        public_tenant_ensure(domain="localhost")
        for schema, name, host in (
            ("jeonju", "전주시", CITY_HOST),
            ("wanju", "완주군", OTHER_CITY_HOST),
        ):
            if not City.objects.filter(schema_name=schema).exists():
                city_create(schema_name=schema, name=name, domain=host)
        connection.set_schema_to_public()
    yield
    with django_db_blocker.unblock():
        # Live servers and racing threads may leave idle connections behind; the test database
        # cannot be dropped while they exist.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        if not django_db_keepdb:
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _fresh_state():
    from vouchers.rules import rules_cache_clear

    cache.clear()
    clear_domain_cache()
    rules_cache_clear()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def city(db):
    """The jeonju test city, active on the connection; everything is rolled back after."""
    city = City.objects.get(schema_name="jeonju")
    connection.set_tenant(city)
    yield city
    connection.set_schema_to_public()


@pytest.fixture
def other_city(db):
    return City.objects.get(schema_name="wanju")


class CityClient(Client):
    """A test client bound to one city's host, which puts the connection back on that city's
    schema after each request (the tenant middleware moves it)."""

    def __init__(self, city, host, **kwargs):
        super().__init__(HTTP_HOST=host, **kwargs)
        self.city = city

    def request(self, **request):
        try:
            return super().request(**request)
        finally:
            connection.set_tenant(self.city)


@pytest.fixture
def city_client(city):
    return CityClient(city, CITY_HOST)


@pytest.fixture
def client_for(city):
    """``client_for(user)``: a client signed in as ``user`` on the jeonju host."""

    def make(user=None, *, host=CITY_HOST, target_city=None):
        client = CityClient(target_city or city, host)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client(city):
    from rest_framework.test import APIClient

    class CityAPIClient(APIClient):
        def request(self, **kwargs):
            try:
                return super().request(**kwargs)
            finally:
                connection.set_tenant(city)

    return CityAPIClient(HTTP_HOST=CITY_HOST)


# --- Live: committed data, real threads, real servers -------------------------------------------


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access without a wrapping transaction: what a test writes is committed (for
    tests that make cities of their own, like bench_seed's)."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture
def live_city(django_db_setup, django_db_blocker):
    """A brand-new city schema with committed data, for races and browsers.

    The test database is dropped at the end of the run, so nothing needs cleaning here.
    """
    with django_db_blocker.unblock():
        n = next(_live_counter)
        schema = f"live_{n}_{uuid.uuid4().hex[:6]}"
        host = f"{schema.replace('_', '-')}.localhost"  # no underscores in host names
        city = city_create(schema_name=schema, name=f"시험시 {n}", domain=host)
        city.host = host
        connection.set_tenant(city)
        try:
            yield city
        finally:
            connection.set_schema_to_public()


@pytest.fixture
def live_server_url(live_city, django_db_blocker):
    """A threaded WSGI server on a free port, serving the real app against the test database."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    with django_db_blocker.unblock():
        thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://{live_city.host}:{thread.port}"
        finally:
            thread.terminate()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]


def chromium_required() -> None:
    """Skips the test when Debian's Chromium is missing, except under CI=true (a failure)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required for browser tests under CI=true")
        pytest.skip("Chromium is not installed (apt install chromium)")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. Missing Chromium skips, except under CI=true."""
    chromium_required()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def redis_url():
    url = settings.REDIS_URL or os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("REDIS_URL is required under CI=true")
        pytest.skip("REDIS_URL is not set")
    return url


# --- The wallet: a policy like Jeonju's, a budget, a citizen with a PIN -------------------------


@pytest.fixture
def staff(city):
    return StaffFactory()


@pytest.fixture
def jeonju_policy(staff):
    """10% cashback up to 50,000 won a month, 500,000 won monthly charge limit."""
    return policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=0,
        cashback_bp=1000,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=50_000,
    )


@pytest.fixture
def budget(staff):
    def fund(amount=10_000_000, key="b1"):
        return budget_fund(
            by=staff,
            name="test budget",
            starts_on=dt.date(2020, 1, 1),
            ends_on=dt.date(2030, 12, 31),
            amount=amount,
            idempotency_key=key,
        )

    return fund


@pytest.fixture
def citizen(city):
    user = CitizenFactory()
    pin_set(user=user, pin="123456", password="test-pass-1234")
    return user


@pytest.fixture
def shop(city):
    return ShopFactory()
