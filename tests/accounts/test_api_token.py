import pytest

from accounts.models import User
from tests.accounts.factories import PASSWORD, CitizenFactory

URL = "/api/v1/auth/token"


@pytest.fixture
def citizen(city):
    return CitizenFactory(email="token@example.kr")


def test_token_for_good_credentials_authenticates_later_calls(api_client, citizen):
    response = api_client.post(
        URL, {"email": "Token@Example.kr", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40
    again = api_client.post(URL, {"email": citizen.email, "password": PASSWORD}, format="json")
    assert again.json()["token"] == token
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/wallet").status_code == 200


def test_wrong_password_is_a_clear_400(api_client, citizen):
    response = api_client.post(URL, {"email": citizen.email, "password": "nope"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_credentials"
    assert error["message"]


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(api_client, citizen):
    response = api_client.post(URL, {"email": "ghost@example.kr", "password": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    "payload",
    [{}, {"email": "not-an-email", "password": "x"}, {"email": "a@b.kr"}, {"password": "x"}],
)
def test_malformed_input_is_a_400_with_a_message(api_client, city, payload):
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_non_json_body_is_a_4xx(api_client, city):
    response = api_client.post(URL, "email=x", content_type="text/plain")
    assert response.status_code == 415


def test_inactive_user_gets_no_token(api_client, citizen):
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    response = api_client.post(URL, {"email": citizen.email, "password": PASSWORD}, format="json")
    assert response.status_code == 400


def test_failures_are_rate_limited_per_email_even_with_the_right_password(api_client, citizen):
    for _ in range(5):
        bad = api_client.post(URL, {"email": citizen.email, "password": "wrong"}, format="json")
        assert bad.status_code == 400
    response = api_client.post(URL, {"email": citizen.email, "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"


def test_failures_are_rate_limited_per_client_address(api_client, city):
    for i in range(10):
        api_client.post(URL, {"email": f"x{i}@example.kr", "password": "wrong"}, format="json")
    response = api_client.post(URL, {"email": "y@example.kr", "password": "x"}, format="json")
    assert response.status_code == 429


def test_get_is_not_allowed(api_client, city):
    assert api_client.get(URL).status_code == 405


def _token_for(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=user).key


def test_token_brings_its_person_and_roles_in_one_query(citizen, django_assert_num_queries):
    from accounts.authentication import UserTokenAuthentication
    from accounts.roles import Role

    key = _token_for(citizen)
    with django_assert_num_queries(1):
        user, token = UserTokenAuthentication().authenticate_credentials(key)
        assert user.pk == citizen.pk
        assert user.email == citizen.email
        assert user.roles == {Role.CITIZEN}
        assert user.has_role(Role.CITIZEN)
        assert not user.has_role(Role.CITY_STAFF)
        assert token.key == key
        assert token.user_id == citizen.pk


def test_a_deleted_token_or_an_inactive_person_is_refused_at_once(api_client, citizen):
    from rest_framework.authtoken.models import Token

    key = _token_for(citizen)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/wallet").status_code == 200
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    assert api_client.get("/api/v1/wallet").status_code == 401
    User.objects.filter(pk=citizen.pk).update(is_active=True)
    Token.objects.filter(key=key).delete()
    response = api_client.get("/api/v1/wallet")
    assert response.status_code == 401
    assert response.json()["error"]["message"]


def test_a_role_taken_away_counts_at_the_next_request(api_client, citizen):
    key = _token_for(citizen)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/wallet").status_code == 200
    citizen.groups.clear()
    assert api_client.get("/api/v1/wallet").status_code == 403
