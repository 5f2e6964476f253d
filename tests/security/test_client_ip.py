"""The client's address for the per-address limits and the inet columns: the proxy's header
only when one is trusted, and never text that is not an address."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from jeonju_prepay.http import client_ip


def _request(remote="192.0.2.7", **headers):
    return RequestFactory().get("/", headers=headers, REMOTE_ADDR=remote)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_CLIENT_IP_HEADER = None
    assert client_ip(_request(**{"X-Real-IP": "10.0.0.9"})) == "192.0.2.7"


def test_behind_a_trusted_proxy_its_header_is_the_address(settings):
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip(_request(**{"X-Real-IP": " 10.0.0.9 "})) == "10.0.0.9"
    assert client_ip(_request(**{"X-Real-IP": "2001:db8::1"})) == "2001:db8::1"


@pytest.mark.parametrize("value", ["unknown", "10.0.0.9, 10.0.0.10", "", "1.2.3.999"])
def test_a_header_that_is_not_one_address_falls_back_to_the_socket(settings, value):
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip(_request(**{"X-Real-IP": value})) == "192.0.2.7"


def test_no_address_at_all_is_none(settings):
    settings.TRUSTED_CLIENT_IP_HEADER = None
    assert client_ip(_request(remote="")) is None
