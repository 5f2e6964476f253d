"""The contract: the public list, the employer's report, the staff's cases."""

from __future__ import annotations

import pytest

from tests.accounts.factories import CitizenFactory, StaffFactory
from workplaces import services
from workplaces.models import Case, MonthlyReport

from .factories import WorkplaceFactory, declaration_verified

pytestmark = pytest.mark.django_db

LIST = "/api/v1/workplaces"
CASES = "/api/v1/workplaces/cases"


def reports_url(workplace):
    return f"/api/v1/workplaces/{workplace.pk}/reports"


def test_anyone_lists_participating_workplaces_without_personal_data(city, api_client):
    declaration = declaration_verified(workplace=WorkplaceFactory(name="팔복제작소"))
    WorkplaceFactory(name="미참여상사")  # registered, not participating
    response = api_client.get(LIST)
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": declaration.workplace.pk,
            "name": "팔복제작소",
            "district": "풍남동",
            "industry": "manufacturing",
            "workers": 25,
        }
    ]
    assert api_client.get(LIST, {"q": "팔복"}).json()[0]["name"] == "팔복제작소"
    assert api_client.get(LIST, {"q": "없음"}).json() == []
    owner = declaration.workplace.owner
    assert owner.email not in response.content.decode()
    assert declaration.workplace.business_number not in response.content.decode()


def test_the_employer_files_a_report_and_a_second_is_a_409(city, api_client):
    declaration = declaration_verified()
    api_client.force_authenticate(declaration.workplace.owner)
    body = {
        "month": "2021-03",
        "headcount": 24,
        "hires": 0,
        "departures": [{"reason": "dismissal", "count": 1}, {"reason": "resignation", "count": 0}],
    }
    response = api_client.post(reports_url(declaration.workplace), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["cases_opened"] == ["dismissal"]
    assert response.json()["departures"][3] == {"reason": "dismissal", "count": 1}
    again = api_client.post(reports_url(declaration.workplace), body, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "report_exists"
    assert MonthlyReport.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"month": "2021-13", "headcount": 1},
        {"month": "March", "headcount": 1},
        {"month": "2021-03", "headcount": -1},
        {"month": "2021-03", "headcount": "many"},
        {"month": "2021-03", "headcount": 1, "departures": [{"reason": "fired", "count": 1}]},
        {"month": "2021-03", "headcount": 1, "departures": "dismissal"},
        {"month": "2020-03", "headcount": 1},  # before the round's term
    ],
)
def test_bad_reports_are_clear_4xx_and_change_nothing(city, api_client, body):
    declaration = declaration_verified()
    api_client.force_authenticate(declaration.workplace.owner)
    response = api_client.post(reports_url(declaration.workplace), body, format="json")
    assert 400 <= response.status_code < 500
    assert "error" in response.json()
    assert MonthlyReport.objects.count() == 0


def test_only_the_employer_reports_for_a_workplace(city, api_client):
    declaration = declaration_verified()
    api_client.force_authenticate(CitizenFactory())
    response = api_client.post(
        reports_url(declaration.workplace), {"month": "2021-03", "headcount": 1}, format="json"
    )
    assert response.status_code == 404


def test_cases_are_for_staff_only_and_never_name_the_reporter(city, api_client):
    declaration = declaration_verified()
    worker = CitizenFactory(name="김민수")
    services.worker_report_file(by=worker, workplace=declaration.workplace, text="해고 통보")
    assert api_client.get(CASES).status_code in (401, 403)
    for user in (declaration.workplace.owner, worker, CitizenFactory()):
        api_client.force_authenticate(user)
        assert api_client.get(CASES).status_code == 403
    api_client.force_authenticate(StaffFactory())
    response = api_client.get(CASES)
    assert response.status_code == 200
    assert [c["kind"] for c in response.json()] == [Case.Kind.WORKER_REPORT]
    text = response.content.decode()
    assert worker.email not in text
    assert "김민수" not in text
    assert "해고 통보" not in text
    # The month of a worker's report is not known: null.
    assert response.json()[0]["month"] is None
