"""Issue 18's clarity fixes, each as the page shows it: errors that look like errors and point at
their fields, the pledge page's rules before the form, words instead of codes, formatted
figures, Korean particles, production's error pages."""

import datetime as dt
import importlib

import pytest
from django.contrib.messages import get_messages

from campaigns.models import Pledge
from merchants.models import ShopEvent, ShopPolicy
from tests.accounts.factories import CitizenFactory, OwnerFactory, StaffFactory
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignShopFactory,
    OrganisationFactory,
    PhaseFactory,
)
from tests.merchants.factories import ShopFactory
from vouchers.models import Charge
from vouchers.services import pin_set


@pytest.fixture
def pledger(city):
    user = CitizenFactory(name="김민수")
    pin_set(user=user, pin="123456", password="test-pass-1234")
    return user


def _pledge_page(client, campaign, shop):
    return client.get(f"/campaigns/{campaign.pk}/shops/{shop.pk}/pledge/").content.decode()


def test_pledge_page_tells_the_room_left_before_the_form(client_for, pledger):
    campaign = CampaignFactory(max_per_citizen=500_000)
    PhaseFactory(campaign=campaign, number=1, name="2단계")
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    # 200,000 already pledged (awaiting its card payment counts against the limit too).
    Pledge.objects.create(
        campaign=campaign, phase=campaign.phases.get(), user=pledger, shop=shop, amount=200_000,
        bonus=0, value=200_000, remaining=200_000, paid_with="card", status="awaiting_payment",
        valid_until=dt.date(2030, 1, 1), business_date=dt.date(2026, 1, 1),
    )  # fmt: skip
    html = _pledge_page(client_for(pledger), campaign, shop)
    rules = html[html.index('id="pledge-rules"') : html.index("</section>")]
    # 500,000 per citizen less 200,000 pledged leaves 300,000.
    assert "<strong>300,000원</strong> 남았습니다" in rules
    assert "2단계는 모든 시민이 참여할 수 있습니다" in rules  # 계 has no final consonant
    assert html.index('id="pledge-rules"') < html.index('name="amount"')


def test_members_only_phase_tells_a_new_citizen_how_to_join_and_shows_no_pledge_form(
    client_for, pledger
):
    campaign = CampaignFactory(starts_on=dt.date(2020, 1, 1))
    PhaseFactory(campaign=campaign, number=1, name="1단계 공무원", members_only=True,
                 starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2030, 1, 1))  # fmt: skip
    PhaseFactory(campaign=campaign, number=2, name="2단계 시민",
                 starts_on=dt.date(2030, 1, 2), ends_on=dt.date(2030, 12, 31))  # fmt: skip
    organisation = OrganisationFactory(invite_code="JOINME01")
    organisation.campaigns.add(campaign)
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    client = client_for(pledger)
    html = _pledge_page(client, campaign, shop)
    assert "1단계 공무원은 참여 기관의 회원만 참여할 수 있습니다" in html
    assert "캠페인 담당자" in html  # where the invitation code comes from
    assert 'name="invite_code"' in html
    assert 'name="amount"' not in html
    assert "2단계 시민은 2030-01-02부터 모든 시민이 참여할 수 있습니다" in html
    # Joining from here comes back here, with the pledge form now.
    path = f"/campaigns/{campaign.pk}/shops/{shop.pk}/pledge/"
    response = client.post("/campaigns/join/", {"invite_code": "JOINME01", "next": path})
    assert response.status_code == 302
    assert response["Location"] == path
    assert 'name="amount"' in _pledge_page(client, campaign, shop)
    # Somewhere else is not followed.
    response = client.post(
        "/campaigns/join/", {"invite_code": "JOINME01", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/campaigns/"


def test_a_citizen_at_the_limit_is_told_so_instead_of_a_form(client_for, pledger):
    campaign = CampaignFactory(max_per_citizen=100_000)
    PhaseFactory(campaign=campaign, number=1)
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    Pledge.objects.create(
        campaign=campaign, phase=campaign.phases.get(), user=pledger, shop=shop, amount=100_000,
        bonus=0, value=100_000, remaining=100_000, paid_with="card", status="active",
        valid_until=dt.date(2030, 1, 1), business_date=dt.date(2026, 1, 1),
    )  # fmt: skip
    html = _pledge_page(client_for(pledger), campaign, shop)
    assert "모두 선결제했습니다" in html
    assert 'name="amount"' not in html
    assert "0원 더 선결제할 수 있습니다" not in html


def test_a_refused_pledge_is_an_error_announced_and_tied_to_the_form(client_for, pledger):
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, number=1)
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    response = client_for(pledger).post(
        f"/campaigns/{campaign.pk}/shops/{shop.pk}/pledge/",
        {"amount": "50", "pay_with": "wallet", "pin": "123456", "idempotency_key": "k-1"},
    )
    html = response.content.decode()
    # 50 won is below the 100,000 minimum: a form error in an alert box.
    assert '<div class="form-error" role="alert"' in html
    assert "100,000" in html


def test_a_field_error_is_linked_to_its_field_and_listed_at_the_top(client_for, city):
    staff = StaffFactory()
    html = client_for(staff).post("/districts/", {"name": "", "kind": "dong"}).content.decode()
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'id="id_name_error"' in html
    assert '<a href="#id_name">' in html  # the summary's link to the field


def test_campaign_filter_offers_no_category_the_city_excludes(client_for, city):
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, number=1)
    for category in ("cafe", "bakery", "golf"):
        CampaignShopFactory(campaign=campaign, shop=ShopFactory(category=category))
    ShopPolicy.objects.create(sales_ceiling="under_3b", excluded_categories=["golf"])
    html = client_for(CitizenFactory()).get(f"/campaigns/{campaign.pk}/").content.decode()
    options = html[
        html.index('name="category"') : html.index("</select>", html.index('name="category"'))
    ]
    assert 'value="cafe"' in options
    assert 'value="bakery"' in options
    for excluded in ("golf", "department_store", "entertainment", "jewellery"):
        assert f'value="{excluded}"' not in options


def test_targets_are_formatted(client_for, city):
    campaign = CampaignFactory(target_participants=50_000)
    PhaseFactory(campaign=campaign, number=1)
    html = client_for(CitizenFactory()).get("/campaigns/").content.decode()
    assert "0 / 50,000" in html
    assert "/ 50000" not in html


def test_shop_history_and_review_message_speak_korean(client_for, city):
    staff, owner = StaffFactory(), OwnerFactory()
    shop = ShopFactory(owner=owner, status="pending", name="송천동 세탁소")
    ShopEvent.objects.create(shop=shop, actor=owner, action="registered", to_status="pending")
    client = client_for(staff)
    response = client.post(f"/shops/review/{shop.pk}/", {"action": "approve", "reason": ""})
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["송천동 세탁소을(를) 승인했습니다. 이제 결제와 선결제를 받을 수 있습니다."]
    html = client.get(f"/shops/review/{shop.pk}/").content.decode()
    # The page resolves the particle from the name: 소 has no final consonant.
    assert "송천동 세탁소를 승인했습니다" in html
    assert '<td>등록 <span class="muted">(심사 대기)</span></td>' in html
    assert "registered →" not in html
    assert "approve → approved" not in html


def test_business_numbers_read_the_same_everywhere(client_for, city):
    from merchants.models import EligibilityRefusal

    EligibilityRefusal.objects.create(
        user=CitizenFactory(), shop_name="골프장", business_number="4028100073",
        category="golf", sales_bracket="under_300m", reason="-",
    )  # fmt: skip
    html = client_for(StaffFactory()).get("/shops/review/").content.decode()
    assert "402-81-00073" in html
    assert "4028100073" not in html


def test_a_declined_charge_says_why_in_words(client_for, city):
    citizen = CitizenFactory()
    charge = Charge.objects.create(
        user=citizen, amount=50_000, order_id="ord_declined_1", status="failed",
        failure_reason="payment.failed",
    )  # fmt: skip
    html = client_for(citizen).get(f"/wallet/charge/{charge.order_id}/done/").content.decode()
    assert "카드사가 결제를 거절했습니다" in html
    assert "payment.failed" not in html


def test_the_signed_in_message_needs_no_particle_and_remember_me_keeps_the_session(client, city):
    from django.utils import translation

    with translation.override("ko"):
        assert (
            translation.gettext("Successfully signed in as %(name)s.") % {"name": "김민수"}
            == "김민수님, 로그인되었습니다."
        )
        assert translation.gettext("Remember Me") == "로그인 상태 유지"


def test_a_missing_object_gets_the_apps_404_page(client_for, city):
    response = client_for(CitizenFactory()).get("/campaigns/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "페이지를 찾을 수 없습니다" in html
    assert 'class="site-header"' in html


def test_make_run_settings_show_production_error_pages(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    local = importlib.import_module("jeonju_prepay.settings.local")
    local = importlib.reload(local)
    assert local.DEBUG is False  # no debug page for a 404 or a 500
    assert local.WHITENOISE_AUTOREFRESH is True  # static files still refresh on change
    from jeonju_prepay import urls_city

    assert urls_city.handler404 == "jeonju_prepay.views.not_found"


def test_dashboard_date_inputs_show_the_range_shown(client_for, city):
    from ledger.services import business_date_today

    html = client_for(StaffFactory()).get("/dashboard/").content.decode()
    end = business_date_today()
    start = end - dt.timedelta(days=29)
    assert f'name="start" value="{start.isoformat()}"' in html
    assert f'name="end" value="{end.isoformat()}"' in html
