"""The sandbox payment gateway acts only for the citizen who created the order, and its signing
secret is not derivable from anything in the repository (issue 16, case 5)."""

import pytest

from tests.accounts.factories import CitizenFactory
from vouchers.models import Charge
from vouchers.models_sandbox import SandboxPayment
from vouchers.services import charge_create

pytestmark = pytest.mark.usefixtures("jeonju_policy")


@pytest.fixture
def order(citizen):
    created, _url = charge_create(user=citizen, amount=10_000)
    return created


def test_only_the_citizen_who_ordered_opens_the_checkout(client_for, citizen, order):
    other = client_for(CitizenFactory())
    assert other.get(f"/sandbox-pg/checkout/{order.order_id}/").status_code == 404
    response = other.post(f"/sandbox-pg/checkout/{order.order_id}/", {"decision": "approve"})
    assert response.status_code == 404
    assert SandboxPayment.objects.get(order_id=order.order_id).status == "ready"
    assert client_for(citizen).get(f"/sandbox-pg/checkout/{order.order_id}/").status_code == 200


@pytest.mark.parametrize("decline", [False, True])
def test_nobody_else_approves_or_declines_an_order_by_its_id(
    client_for, city_client, citizen, order, decline
):
    url = f"/sandbox-pg/api/approve/{order.order_id}" + ("?decline=1" if decline else "")
    anonymous = city_client.post(url)
    assert anonymous.status_code in (401, 403)
    other = client_for(CitizenFactory()).post(url)
    assert other.status_code == 404
    assert SandboxPayment.objects.get(order_id=order.order_id).status == "ready"
    assert Charge.objects.get(pk=order.pk).status == "created"
    mine = client_for(citizen).post(url)
    assert mine.status_code == 200
    assert mine.json()["status"] == ("failed" if decline else "credited")


def test_the_sandbox_secret_is_not_derived_from_a_committed_value(settings):
    """Under ``make run`` (local settings with no SECRET_KEY or SANDBOX_PG_SECRET in the
    environment) the secret comes from a random file under .data/, not from the default key
    written in the settings module."""
    import importlib
    import os
    import pathlib
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SANDBOX_PG_SECRET")}
        env["JP_DATA_DIR"] = tmp
        import subprocess
        import sys

        code = (
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='jeonju_prepay.settings.local';"
            "from django.conf import settings; print(settings.SECRET_KEY); print(settings.SANDBOX_PG_SECRET)"
        )
        first = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        second = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        source = pathlib.Path(importlib.import_module("jeonju_prepay.settings.local").__file__)
        committed = source.read_text() + source.with_name("base.py").read_text()
        assert first == second  # kept between runs: sessions and pending orders survive a restart
        for value in first:
            assert len(value) >= 40
            assert value not in committed
        assert first[0] != first[1]
