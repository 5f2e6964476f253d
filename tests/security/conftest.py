import pytest
from django.db import connection

from tests.conftest import CITY_HOST, OTHER_CITY_HOST, CityClient

from .world import build_world


@pytest.fixture
def world(city, other_city):
    return build_world(city, other_city)


class Caller:
    """Calls the app as one persona of the world: pages with the persona's session, the API with
    the persona's token (no session). Never raises the app's exceptions: a 500 is a response to
    assert on. The connection is put back on jeonju's schema after every call."""

    def __init__(self, world, persona):
        self.world = world
        self.persona = persona
        city, other = world.city, world.other_city
        self.token = world.tokens.get(persona)
        if persona == "other_staff":
            self.page_client = CityClient(other, OTHER_CITY_HOST, raise_request_exception=False)
            connection.set_tenant(other)
            try:
                self.page_client.force_login(world.other_staff)
            finally:
                connection.set_tenant(city)
            self.api_client = CityClient(other, OTHER_CITY_HOST, raise_request_exception=False)
        else:
            self.page_client = CityClient(city, CITY_HOST, raise_request_exception=False)
            self.api_client = CityClient(city, CITY_HOST, raise_request_exception=False)
            user = world.users.get(persona)
            if user is not None:
                self.page_client.force_login(user)
            if persona == "other_creds":  # wanju's session cookie, replayed on jeonju
                wanju = Caller(world, "other_staff")
                self.page_client.cookies["sessionid"] = wanju.page_client.cookies["sessionid"].value

    def __call__(self, method, path, *, api=None, data=None, headers=None, **extra):
        api = path.startswith("/api/") if api is None else api
        client = self.api_client if api else self.page_client
        headers = dict(headers or {})
        if self.token and "Authorization" not in headers:
            # Pages ignore it: a device token or a replayed token must not open a page.
            headers["Authorization"] = self.token
        try:
            return getattr(client, method.lower())(path, data=data, headers=headers, **extra)
        finally:
            connection.set_tenant(self.world.city)


@pytest.fixture
def caller(world):
    return lambda persona: Caller(world, persona)
