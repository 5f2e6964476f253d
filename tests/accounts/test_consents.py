"""Consent at sign-up and after (Personal Information Protection Act): required items refuse a
sign-up when not ticked, with the error tied to the field; every grant and withdrawal is an
append-only row with the version of the text; optional items are changed on /me/consents/."""

from __future__ import annotations

import re

import pytest
from django.db import DatabaseError, transaction

from accounts.consents import CONSENT_ITEMS
from accounts.exceptions import ConsentRequiredError
from accounts.models import ConsentRecord, User
from accounts.selectors import consents_current, marketing_allowed, service_channel_on
from accounts.services import consents_record
from tests.accounts.factories import CitizenFactory, ConsentRecordFactory

SIGNUP = "/accounts/signup/"


def _signup(client, **extra):
    data = {
        "email": "new@example.kr",
        "name": "홍길동",
        "password1": "a-long-pass-phrase-2021",
        "password2": "a-long-pass-phrase-2021",
    }
    data.update(extra)
    return client.post(SIGNUP, data)


def test_signup_page_states_what_is_collected_why_and_for_how_long(city_client):
    page = city_client.get(SIGNUP).content.decode()
    assert 'name="consent_terms"' in page
    assert 'name="consent_privacy_required"' in page
    for channel in ("email", "sms", "alimtalk"):
        assert f'name="consent_marketing_{channel}"' in page
    # The text is tied to its checkbox, so a screen reader reads it with the box.
    assert 'aria-describedby="id_consent_privacy_required_helptext"' in page
    assert "5" in page  # money records are kept 5 years; the text says so


def test_signup_without_the_required_consents_is_refused_and_creates_nobody(city_client):
    response = _signup(city_client, consent_terms="on")
    assert response.status_code == 200
    assert not User.objects.filter(email="new@example.kr").exists()
    assert not ConsentRecord.objects.exists()
    form = response.context["form"]
    assert "consent_privacy_required" in form.errors
    assert "consent_terms" not in form.errors
    page = response.content.decode()
    # The error is announced with the field: aria-describedby names the error's id.
    assert 'id="id_consent_privacy_required_error"' in page
    box = re.search(r'<input[^>]*name="consent_privacy_required"[^>]*>', page).group(0)
    assert (
        'aria-describedby="id_consent_privacy_required_helptext id_consent_privacy_required_error"'
        in box
    )
    assert 'aria-invalid="true"' in box


def test_signup_records_required_and_optional_items_separately_with_the_text_version(
    city_client,
):
    response = _signup(
        city_client,
        consent_terms="on",
        consent_privacy_required="on",
        consent_marketing_sms="on",
        phone="010-2345-6789",
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.kr")
    assert user.phone == "01023456789"  # stored normalised
    rows = {r.item: r for r in ConsentRecord.objects.filter(user=user)}
    assert set(rows) == {
        "terms",
        "privacy_required",
        "marketing_email",
        "marketing_sms",
        "marketing_alimtalk",
    }
    assert rows["terms"].granted
    assert rows["privacy_required"].granted
    assert rows["marketing_sms"].granted
    # An unticked optional box is recorded as refused, with the text that was shown.
    assert not rows["marketing_email"].granted
    assert not rows["marketing_alimtalk"].granted
    for code, row in rows.items():
        assert row.text_version == CONSENT_ITEMS[code].version
        assert row.source == "signup"
        assert row.ip_address == "127.0.0.1"
        assert row.language == "ko"
    assert marketing_allowed(user=user, channel="sms")
    assert not marketing_allowed(user=user, channel="email")


def test_consent_records_cannot_be_changed_or_deleted(city):
    row = ConsentRecordFactory()
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentRecord.objects.filter(pk=row.pk).update(granted=False)
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentRecord.objects.filter(pk=row.pk).delete()
    row.refresh_from_db()
    assert row.granted


def test_a_required_item_cannot_be_withdrawn_on_its_own(city):
    user = CitizenFactory()
    with pytest.raises(ConsentRequiredError):
        consents_record(user=user, choices={"terms": False}, source="consent_page")
    assert not ConsentRecord.objects.filter(user=user).exists()


def test_withdrawing_marketing_on_the_page_appends_a_row_and_stops_marketing(client_for):
    user = CitizenFactory()
    ConsentRecordFactory(user=user, item="marketing_sms", granted=True)
    client = client_for(user)
    page = client.get("/me/consents/")
    assert page.status_code == 200
    assert page.context["form"].fields["consent_marketing_sms"].initial is True
    # Untick SMS advertising; leave the service channels on.
    response = client.post(
        "/me/consents/",
        {
            "consent_service_email": "on",
            "consent_service_sms": "on",
            "consent_service_alimtalk": "on",
        },
    )
    assert response.status_code == 302
    history = list(ConsentRecord.objects.filter(user=user, item="marketing_sms").order_by("id"))
    assert [r.granted for r in history] == [True, False]  # the grant is kept, not changed
    assert history[-1].source == "consent_page"
    assert not marketing_allowed(user=user, channel="sms")
    # Nothing else changed: the other items had no record and keep their defaults.
    assert ConsentRecord.objects.filter(user=user).count() == 2


def test_turning_a_service_channel_off_is_recorded_and_honoured(client_for):
    user = CitizenFactory()
    client = client_for(user)
    client.post("/me/consents/", {"consent_service_email": "on", "consent_service_sms": "on"})
    assert not service_channel_on(user=user, channel="alimtalk")
    assert service_channel_on(user=user, channel="sms")
    row = ConsentRecord.objects.get(user=user, item="service_alimtalk")
    assert not row.granted
    assert row.text_version == CONSENT_ITEMS["service_alimtalk"].version


def test_a_consent_to_an_older_text_is_not_a_current_consent(city):
    user = CitizenFactory()
    ConsentRecordFactory(user=user, item="marketing_email", text_version="2020-01")
    state = consents_current(user=user)["marketing_email"]
    assert state.granted
    assert state.outdated
    assert not marketing_allowed(user=user, channel="email")


def test_the_consent_page_lists_the_required_items_with_when_and_which_version(client_for):
    user = CitizenFactory()
    consents_record(user=user, choices={"terms": True, "privacy_required": True}, source="signup")
    page = client_for(user).get("/me/consents/").content.decode()
    assert CONSENT_ITEMS["terms"].version in page
    assert "/accounts/phone/terms/" in page


def test_the_full_texts_are_readable_before_signing_up(city_client):
    response = city_client.get("/accounts/phone/terms/")
    assert response.status_code == 200
    assert CONSENT_ITEMS["privacy_required"].version in response.content.decode()
