"""The grants API contract (issue 19): programmes, applying, decisions, payments, the wallet."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from grants.models import Application
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.conftest import CITY_HOST
from tests.grants.factories import jeonju_2020


def api_as(city, user):
    class Client(APIClient):
        def request(self, **kwargs):
            try:
                return super().request(**kwargs)
            finally:
                connection.set_tenant(city)

    client = Client(HTTP_HOST=CITY_HOST)
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def programme(city, staff):
    return jeonju_2020(staff, budget=527_158 * 3)


def test_open_programmes_are_listed_with_their_groups(city, programme):
    response = api_as(city, CitizenFactory()).get("/api/v1/grants/programmes")
    assert response.status_code == 200
    [body] = response.json()
    assert body["id"] == programme.pk
    assert body["amount"] == 527_158
    assert body["apply_until"] == "2030-12-31"
    assert body["spend_until"] == "2030-12-31"
    assert [g["code"] for g in body["groups"]] == ["unemployed", "day_worker", "income_fall"]
    assert all(g["name"] for g in body["groups"])
    assert api_as(city, None).get("/api/v1/grants/programmes").status_code in (401, 403)


def test_a_citizen_applies_once(city, programme):
    client = api_as(city, CitizenFactory())
    payload = {"programme": programme.pk, "group": "day_worker", "consent": True}
    response = client.post("/api/v1/grants/applications", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "submitted"
    assert Application.objects.get(pk=body["application_id"]).amount == 527_158
    again = client.post("/api/v1/grants/applications", payload, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_applied"
    assert Application.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"group": "day_worker", "consent": True}, "invalid_input"),
        ({"programme": 999_999, "group": "day_worker", "consent": True}, "programme_not_found"),
        ({"programme": "PROGRAMME", "group": "nobody", "consent": True}, "group_unknown"),
        ({"programme": "PROGRAMME", "group": "day_worker"}, "consent_required"),
        (
            {"programme": "PROGRAMME", "group": "day_worker", "consent": True, "household_size": 0},
            "invalid_input",
        ),
    ],
)
def test_bad_applications_are_clear_4xx_and_change_nothing(city, programme, payload, code):
    payload = {k: programme.pk if v == "PROGRAMME" else v for k, v in payload.items()}
    response = api_as(city, CitizenFactory()).post(
        "/api/v1/grants/applications", payload, format="json"
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == code
    assert Application.objects.count() == 0


def test_staff_decide_and_pay_and_the_wallet_shows_the_grant(city, programme, staff):
    citizen = CitizenFactory()
    applied = api_as(city, citizen).post(
        "/api/v1/grants/applications",
        {"programme": programme.pk, "group": "unemployed", "consent": True},
        format="json",
    )
    application_id = applied.json()["application_id"]
    # A citizen cannot decide.
    refused = api_as(city, citizen).post(
        f"/api/v1/grants/applications/{application_id}/decision",
        {"decision": "approve"},
        format="json",
    )
    assert refused.status_code == 403
    staff_api = api_as(city, staff)
    decided = staff_api.post(
        f"/api/v1/grants/applications/{application_id}/decision",
        {"decision": "approve", "reason": ""},
        format="json",
    )
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "approved"
    no_key = staff_api.post(f"/api/v1/grants/programmes/{programme.pk}/payments")
    assert no_key.status_code == 400
    paid = staff_api.post(
        f"/api/v1/grants/programmes/{programme.pk}/payments", headers={"Idempotency-Key": "p1"}
    )
    assert paid.status_code == 201
    assert (paid.json()["paid"], paid.json()["amount"]) == (1, 527_158)
    replay = staff_api.post(
        f"/api/v1/grants/programmes/{programme.pk}/payments", headers={"Idempotency-Key": "p1"}
    )
    assert replay.json() == paid.json()
    assert replay["Idempotent-Replayed"] == "true"
    second = staff_api.post(
        f"/api/v1/grants/programmes/{programme.pk}/payments", headers={"Idempotency-Key": "p2"}
    )
    assert (second.json()["paid"], second.json()["amount"]) == (0, 0)
    wallet = api_as(city, citizen).get("/api/v1/wallet").json()
    assert (wallet["grant"], wallet["balance"]) == (527_158, 527_158)
    mine = api_as(city, citizen).get("/api/v1/grants/applications").json()
    assert [a["status"] for a in mine] == ["paid"]


def test_reject_needs_a_reason(city, programme, staff):
    citizen = CitizenFactory()
    application_id = (
        api_as(city, citizen)
        .post(
            "/api/v1/grants/applications",
            {"programme": programme.pk, "group": "unemployed", "consent": True},
            format="json",
        )
        .json()["application_id"]
    )
    staff_api = api_as(city, StaffFactory())
    response = staff_api.post(
        f"/api/v1/grants/applications/{application_id}/decision",
        {"decision": "reject"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "reason_required"
    response = staff_api.post(
        f"/api/v1/grants/applications/{application_id}/decision",
        {"decision": "reject", "reason": "다른 지원을 받고 있음"},
        format="json",
    )
    assert response.json()["status"] == "rejected"
