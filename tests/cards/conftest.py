import pytest

from ledger.services import Idem
from tests.cards.factories import bank_desk, community_desk
from tests.merchants.factories import device_for


@pytest.fixture
def centre(city):
    """A community centre and its staff member: ``(desk, staff)``."""
    return community_desk()


@pytest.fixture
def branch(city):
    """A partner bank branch and its teller: ``(desk, teller)``."""
    return bank_desk()


def desk_cash_in(desk, staff, user, amount, key=None, method="cash", card=None):
    from cards.services import desk_charge

    key = key or f"dc-{user.pk}-{amount}-{desk_cash_in.counter}"
    desk_cash_in.counter += 1
    return desk_charge(
        desk=desk,
        staff=staff,
        user=user,
        amount=amount,
        method=method,
        card=card,
        idem=Idem.of(f"user:{staff.pk}", key, "t"),
    ).body


desk_cash_in.counter = 0


@pytest.fixture
def device_api(city, shop):
    from django.db import connection
    from rest_framework.test import APIClient

    from tests.conftest import CITY_HOST

    class Client(APIClient):
        def request(self, **kwargs):
            try:
                return super().request(**kwargs)
            finally:
                connection.set_tenant(city)

    _device, token = device_for(shop)
    client = Client(HTTP_HOST=CITY_HOST)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client
