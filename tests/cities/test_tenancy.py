import json

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import User
from tests.accounts.factories import PASSWORD, CitizenFactory
from tests.conftest import OTHER_CITY_HOST, CityClient


def test_unknown_host_gets_a_plain_404_that_names_nothing(city_client):
    response = city_client.get("/", HTTP_HOST="nowhere.localhost")
    assert response.status_code == 404
    body = response.content.decode()
    assert "nowhere" not in body
    assert "jeonju" not in body
    assert "전주" not in body
    assert "Traceback" not in body


def test_a_jeonju_user_cannot_sign_in_on_wanju(city, other_city):
    citizen = CitizenFactory(email="only-in-jeonju@example.kr")
    wanju = CityClient(other_city, OTHER_CITY_HOST)
    response = wanju.post(
        "/accounts/login/", {"login": citizen.email, "password": PASSWORD}, follow=False
    )
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in wanju.session
    connection.set_tenant(city)
    jeonju = CityClient(city, "jeonju.localhost")
    response = jeonju.post("/accounts/login/", {"login": citizen.email, "password": PASSWORD})
    assert response.status_code == 302
    assert int(jeonju.session["_auth_user_id"]) == citizen.pk


def test_data_created_in_one_city_is_invisible_from_the_other(city, other_city):
    CitizenFactory(email="private@example.kr")
    assert User.objects.filter(email="private@example.kr").exists()
    with schema_context(other_city.schema_name):
        assert not User.objects.filter(email="private@example.kr").exists()
    with schema_context("public"):
        assert not User.objects.filter(email="private@example.kr").exists()


def test_a_session_from_one_city_is_not_valid_in_the_other(city, other_city, client_for):
    citizen = CitizenFactory()
    jeonju = client_for(citizen)
    session_cookie = jeonju.cookies["sessionid"].value
    wanju = CityClient(other_city, OTHER_CITY_HOST)
    wanju.cookies["sessionid"] = session_cookie
    response = wanju.get("/me/profile/")
    assert response.status_code == 302  # to the sign-in page: wanju knows no such session
    assert "/accounts/login/" in response["Location"]


def test_city_home_is_korean_by_default(city_client):
    response = city_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ko">' in html
    assert "전주시" in html


def test_english_switch(city_client):
    response = city_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = city_client.get("/").content.decode()
    assert '<html lang="en">' in html


@pytest.mark.parametrize("host", ["jeonju.localhost", "localhost"])
def test_healthz_reports_database_and_redis(city, host, settings):
    client = CityClient(city, host)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["database"]["status"] == "ok"
    expected = "ok" if settings.REDIS_URL else "not_configured"
    assert body["redis"]["status"] == expected


def test_healthz_reports_a_redis_that_is_down(city, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = CityClient(city, "jeonju.localhost").get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["redis"]["status"] == "error"
    assert body["database"]["status"] == "ok"
