from accounts.models import User
from accounts.roles import Role

# The two required consents of the sign-up form (accounts/consents.py).
CONSENTS = {"consent_terms": "on", "consent_privacy_required": "on"}


def test_citizen_signs_up_and_gets_the_citizen_role(city_client):
    response = city_client.post(
        "/accounts/signup/",
        {
            "email": "new@example.kr",
            "name": "홍길동",
            "password1": "a-long-pass-phrase-2021",
            "password2": "a-long-pass-phrase-2021",
            **CONSENTS,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.kr")
    assert user.name == "홍길동"
    assert user.roles == {Role.CITIZEN}


def test_signup_as_landlord_adds_the_landlord_role(city_client):
    city_client.post(
        "/accounts/signup/",
        {
            "email": "lord@example.kr",
            "name": "최영호",
            "password1": "a-long-pass-phrase-2021",
            "password2": "a-long-pass-phrase-2021",
            "wants_landlord": "on",
            **CONSENTS,
        },
    )
    assert User.objects.get(email="lord@example.kr").roles == {Role.CITIZEN, Role.LANDLORD}


def test_signup_with_a_taken_email_changes_nothing(city_client):
    User.objects.create_user(email="taken@example.kr", password="x")
    response = city_client.post(
        "/accounts/signup/",
        {
            "email": "TAKEN@example.kr",
            "name": "x",
            "password1": "a-long-pass-phrase-2021",
            "password2": "a-long-pass-phrase-2021",
            **CONSENTS,
        },
    )
    assert response.status_code == 200
    assert User.objects.filter(email__iexact="taken@example.kr").count() == 1


def test_nobody_signs_up_on_the_platform_host(city):
    from tests.conftest import CityClient

    client = CityClient(city, "localhost")
    response = client.get("/accounts/signup/")
    assert response.status_code == 404
