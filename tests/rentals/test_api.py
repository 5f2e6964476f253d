import pytest
from django.db import connection

from rentals.models import Agreement
from tests.accounts.factories import CitizenFactory, LandlordFactory, OwnerFactory, StaffFactory
from tests.conftest import OTHER_CITY_HOST
from tests.merchants.factories import device_for
from tests.rentals.factories import (
    AgreementFactory,
    LeaseFactory,
    PropertyFactory,
    signed,
    tenant_of,
)

URL = "/api/v1/rentals/agreements"


def test_staff_list_the_citys_agreements(city, api_client):
    agreement = signed(AgreementFactory(rate_bp=1500))
    AgreementFactory()
    api_client.force_authenticate(StaffFactory())
    response = api_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    item = next(i for i in body["results"] if i["id"] == agreement.pk)
    assert item["status"] == "signed"
    assert item["tenant_signed_current_terms"] is True
    assert item["reduction_rate_bp"] == 1500
    assert item["monthly_reduction"] == 150_000
    assert item["total_reduction"] == 450_000
    assert item["terms_hash"] == agreement.terms_hash
    assert item["tenant_shop"]["business_number"] == agreement.lease.tenant_shop.business_number
    assert item["property"]["district"] == "풍남동"


def test_filters_and_pages(city, api_client):
    signed(AgreementFactory())
    AgreementFactory(lease=LeaseFactory(property=PropertyFactory(district="교동")))
    AgreementFactory(lease=LeaseFactory(property=PropertyFactory(district="교동")))
    Agreement.objects.filter(lease__property__district="교동").update(clawback="renewal_over_cap")
    api_client.force_authenticate(StaffFactory())
    assert api_client.get(URL, {"status": "signed"}).json()["count"] == 1
    assert api_client.get(URL, {"district": "교동"}).json()["count"] == 2
    assert api_client.get(URL, {"flagged": "true"}).json()["count"] == 2
    assert api_client.get(URL, {"flagged": "false"}).json()["count"] == 1
    page = api_client.get(URL, {"limit": 1, "offset": 1}).json()
    assert (page["count"], len(page["results"])) == (3, 1)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"limit": "0"},
        {"limit": "100000"},
        {"offset": "-1"},
        {"flagged": "maybe"},
        {"district": "x" * 51},
    ],
)
def test_bad_filters_are_a_clear_400(city, api_client, params):
    api_client.force_authenticate(StaffFactory())
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("factory", [LandlordFactory, OwnerFactory, CitizenFactory])
def test_other_roles_are_forbidden(city, api_client, factory):
    agreement = AgreementFactory()
    user = tenant_of(agreement) if factory is OwnerFactory else factory()
    api_client.force_authenticate(user)
    response = api_client.get(URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] in ("permission_denied", "forbidden")


def test_anonymous_and_counter_devices_are_refused(city, api_client):
    assert api_client.get(URL).status_code in (401, 403)
    agreement = AgreementFactory()
    _device, token = device_for(agreement.lease.tenant_shop)
    response = api_client.get(URL, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 403


def test_another_citys_staff_see_none_of_these(city, other_city):
    from rest_framework.test import APIClient

    AgreementFactory()
    connection.set_tenant(other_city)
    client = APIClient(HTTP_HOST=OTHER_CITY_HOST)
    client.force_authenticate(StaffFactory())
    response = client.get(URL)
    connection.set_tenant(city)
    assert response.status_code == 200
    assert response.json()["count"] == 0
