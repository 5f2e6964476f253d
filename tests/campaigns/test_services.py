"""Pledges, redemptions, cancellation, expiry and closed shops, with exact won and the ledger
balanced after each."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from campaigns.exceptions import (
    InsufficientPrepaidError,
    InvitationCodeError,
    NotInPhaseError,
    PledgeLimitError,
    PledgeNotCancellableError,
    ShopNotInCampaignError,
)
from campaigns.models import Pledge, Redemption
from campaigns.services import (
    closed_shop_refund,
    guarantee_fund_add,
    organisation_join,
    pledge_cancel,
    pledge_with_card,
    prepaid_expire_due,
    prepaid_liability_by_shop,
)
from ledger.models import Account
from ledger.selectors import ledger_check
from tests.accounts.factories import CitizenFactory
from tests.campaigns.conftest import pledge, prepaid, redeem
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignShopFactory,
    OrganisationFactory,
    PhaseFactory,
)
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import balances, charge
from vouchers.models import Payment
from vouchers.sandbox_views import sandbox_approve

pytestmark = pytest.mark.usefixtures("jeonju_policy")


@pytest.fixture
def rich(citizen, budget):
    budget(10_000_000)
    charge(citizen, 500_000)
    return citizen


def payable(shop):
    return Account.objects.get(kind="shop_payable", owner_shop_id=shop.pk).balance


def test_a_wallet_pledge_pays_the_shop_and_gives_a_prepaid_balance_with_the_bonus(
    rich, campaign, shop
):
    body = pledge(rich, campaign, shop, 100_000)
    assert body["amount"] == 100_000
    assert body["bonus"] == 5_000  # the shop's 5%
    assert body["value"] == 105_000
    assert body["prepaid_balance"] == 105_000
    assert body["payment"]["cashback"] == 10_000  # a wallet payment earns cashback like any other
    assert prepaid(rich, shop) == 105_000
    assert payable(shop) == 100_000
    assert Account.objects.get(kind="prepaid_issued", owner_shop_id=shop.pk).balance == -105_000
    assert balances(rich) == (400_000, 10_000)
    assert Payment.objects.get().method == "pledge"
    assert ledger_check().ok


@pytest.mark.parametrize(
    ("bonus_bp", "amount", "bonus"), [(500, 123_450, 6_172), (333, 100_001, 3_330), (0, 100_000, 0)]
)
def test_bonus_rounds_down(rich, campaign, bonus_bp, amount, bonus):
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=bonus_bp)
    assert pledge(rich, campaign, shop, amount)["bonus"] == bonus


@pytest.mark.parametrize(
    ("amount", "ok"), [(99_999, False), (100_000, True), (300_000, True), (300_001, False)]
)
def test_pledge_amount_at_the_edges(rich, campaign, shop, amount, ok):
    if ok:
        assert pledge(rich, campaign, shop, amount)["amount"] == amount
    else:
        with pytest.raises(PledgeLimitError) as exc:
            pledge(rich, campaign, shop, amount)
        assert "100,000" in exc.value.message
        assert "300,000" in exc.value.message
        assert prepaid(rich, shop) == 0


def test_the_limit_per_citizen_counts_every_pledge(rich, campaign, shop):
    pledge(rich, campaign, shop, 200_000)
    with pytest.raises(PledgeLimitError) as exc:
        pledge(rich, campaign, shop, 100_001)
    assert "100,000" in exc.value.message
    pledge(rich, campaign, shop, 100_000)


def test_a_cap_per_shop(citizen, budget):
    budget(10_000_000)
    campaign = CampaignFactory(cap_per_shop=250_000)
    PhaseFactory(campaign=campaign)
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    other = CitizenFactory()
    from vouchers.services import pin_set

    pin_set(user=other, pin="123456", password="test-pass-1234")
    charge(citizen, 300_000)
    charge(other, 300_000)
    pledge(citizen, campaign, shop, 150_000)
    with pytest.raises(PledgeLimitError):
        pledge(other, campaign, shop, 150_000)
    pledge(other, campaign, shop, 100_000)


def test_a_shop_not_taking_part_is_refused(rich, campaign):
    with pytest.raises(ShopNotInCampaignError):
        pledge(rich, campaign, ShopFactory(), 100_000)


def test_outside_the_campaign_or_phase_dates(rich, budget):
    campaign = CampaignFactory(starts_on=dt.date(2021, 3, 1), ends_on=dt.date(2021, 12, 31))
    PhaseFactory(campaign=campaign, starts_on=dt.date(2021, 3, 1), ends_on=dt.date(2021, 4, 30))
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    with (
        time_machine.travel(dt.datetime(2021, 2, 27, 3, tzinfo=dt.UTC)),
        pytest.raises(NotInPhaseError),
    ):
        pledge(rich, campaign, shop, 100_000)
    with (
        time_machine.travel(dt.datetime(2021, 6, 1, 3, tzinfo=dt.UTC)),
        pytest.raises(NotInPhaseError),
    ):
        pledge(rich, campaign, shop, 100_000)  # in the campaign, but no phase is open
    with time_machine.travel(dt.datetime(2021, 3, 5, 3, tzinfo=dt.UTC)):
        assert pledge(rich, campaign, shop, 100_000)["amount"] == 100_000


def test_phase_one_is_for_members_of_participating_organisations(rich, city):
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, members_only=True, name="1단계 (공무원)")
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    with pytest.raises(NotInPhaseError) as exc:
        pledge(rich, campaign, shop, 100_000)
    assert "1단계" in exc.value.message
    outsider = OrganisationFactory(invite_code="NOTINIT1")
    organisation_join(user=rich, invite_code="NOTINIT1")
    with pytest.raises(NotInPhaseError):
        pledge(rich, campaign, shop, 100_000)  # an organisation that is not in the campaign
    city_hall = OrganisationFactory(invite_code="CITYHALL")
    city_hall.campaigns.add(campaign)
    organisation_join(user=rich, invite_code="city-hall")
    body = pledge(rich, campaign, shop, 100_000)
    assert Pledge.objects.get(pk=body["pledge_id"]).organisation == city_hall
    assert outsider.pledges.count() == 0
    with pytest.raises(InvitationCodeError):
        organisation_join(user=rich, invite_code="NOPE")


def test_partial_and_mixed_redemption(rich, campaign, shop):
    pledge(rich, campaign, shop, 100_000)  # 105,000 prepaid
    body = redeem(rich, shop, 30_000)
    assert body["amount"] == 30_000
    assert body["prepaid_balance"] == 75_000
    # A bill of 90,000: the last 75,000 of prepaid value and 15,000 from the wallet.
    p_before, i_before = balances(rich)
    body = redeem(rich, shop, 75_000, wallet_amount=15_000)
    assert body["prepaid_balance"] == 0
    assert body["wallet_payment"]["amount"] == 15_000
    assert body["wallet_payment"]["cashback"] == 1_500
    assert sum(balances(rich)) == p_before + i_before - 15_000 + 1_500
    assert Pledge.objects.get().status == "used"
    assert Account.objects.get(kind="prepaid_issued", owner_shop_id=shop.pk).balance == 0
    assert ledger_check().ok


def test_redeeming_more_than_the_balance_is_refused_and_changes_nothing(rich, campaign, shop):
    pledge(rich, campaign, shop, 100_000)
    with pytest.raises(InsufficientPrepaidError) as exc:
        redeem(rich, shop, 105_001)
    assert "105,000" in exc.value.message
    assert prepaid(rich, shop) == 105_000
    assert not Redemption.objects.exists()


def test_redemption_takes_the_earliest_expiring_pledge_first(rich, campaign, shop, staff):
    start = timezone.now()
    with time_machine.travel(start):
        first = pledge(rich, campaign, shop, 100_000)
    with time_machine.travel(start + dt.timedelta(days=10)):
        second = pledge(rich, campaign, shop, 100_000)
        redeem(rich, shop, 110_000)
    assert Pledge.objects.get(pk=first["pledge_id"]).remaining == 0
    assert Pledge.objects.get(pk=second["pledge_id"]).remaining == 100_000


def test_cancel_an_unused_pledge_within_7_days_back_to_the_wallet(rich, campaign, shop):
    before = balances(rich)
    body = pledge(rich, campaign, shop, 100_000)
    pledge_cancel(pledge=Pledge.objects.get(pk=body["pledge_id"]), by=rich)
    assert balances(rich) == before
    assert prepaid(rich, shop) == 0
    assert payable(shop) == 0
    assert Payment.objects.get().status == "cancelled"
    assert ledger_check().ok


def test_no_cancel_once_used_or_after_7_days(rich, campaign, shop):
    used = pledge(rich, campaign, shop, 100_000)
    redeem(rich, shop, 1_000)
    with pytest.raises(PledgeNotCancellableError):
        pledge_cancel(pledge=Pledge.objects.get(pk=used["pledge_id"]), by=rich)
    start = timezone.now()
    with time_machine.travel(start):
        late = pledge(rich, campaign, ShopWith(campaign), 100_000)
    with (
        time_machine.travel(start + dt.timedelta(days=7, minutes=1)),
        pytest.raises(PledgeNotCancellableError),
    ):
        pledge_cancel(pledge=Pledge.objects.get(pk=late["pledge_id"]), by=rich)


def ShopWith(campaign):
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    return shop


def test_card_pledge_through_the_provider(citizen, campaign, shop):
    created, _url = pledge_with_card(user=citizen, campaign=campaign, shop=shop, amount=200_000)
    assert created.status == "awaiting_payment"
    assert prepaid(citizen, shop) == 0
    assert sandbox_approve(created.charge.order_id)["status"] == "credited"
    created.refresh_from_db()
    assert created.status == "active"
    assert prepaid(citizen, shop) == 210_000
    assert payable(shop) == 200_000
    assert balances(citizen) == (0, 0)  # the wallet is not involved
    assert ledger_check().ok
    pledge_cancel(pledge=created, by=citizen)
    assert prepaid(citizen, shop) == 0
    assert payable(shop) == 0
    assert ledger_check().ok


def test_expiry_at_the_end_of_validity_is_reported_and_balanced(rich, city):
    campaign = CampaignFactory(validity_days=30)
    PhaseFactory(campaign=campaign)
    shop = ShopWith(campaign)
    start = dt.datetime(2021, 5, 1, 3, tzinfo=dt.UTC)
    with time_machine.travel(start):
        body = pledge(rich, campaign, shop, 100_000)
        redeem(rich, shop, 40_000)
    valid_until = Pledge.objects.get(pk=body["pledge_id"]).valid_until
    assert valid_until == dt.date(2021, 5, 31)
    assert prepaid_expire_due(as_of=valid_until).pledges == 0  # still valid on its last day
    report = prepaid_expire_due(as_of=valid_until + dt.timedelta(days=1))
    assert (report.pledges, report.amount, report.shops) == (1, 60_000, 1)
    assert prepaid(rich, shop) == 0
    pledge_row = Pledge.objects.get(pk=body["pledge_id"])
    assert (pledge_row.status, pledge_row.remaining) == ("expired", 0)
    assert pledge_row.events.get().amount == 60_000
    again = prepaid_expire_due(as_of=valid_until + dt.timedelta(days=1))
    assert again.pledges == 0
    assert ledger_check().ok
    with pytest.raises(InsufficientPrepaidError):
        redeem(rich, shop, 1)


def test_liability_by_shop(rich, campaign, shop):
    pledge(rich, campaign, shop, 100_000)
    redeem(rich, shop, 5_000)
    assert [(r.shop_id, r.outstanding) for r in prepaid_liability_by_shop()] == [(shop.pk, 100_000)]


def test_a_closed_shops_balances_are_refunded_from_the_guarantee_fund(rich, campaign, shop, staff):
    from merchants.services import shop_review

    pledge(rich, campaign, shop, 100_000)
    redeem(rich, shop, 25_000)
    shop_review(shop=shop, by=staff, action="close", reason="폐업")
    shop.refresh_from_db()
    guarantee_fund_add(by=staff, amount=50_000, idempotency_key="g1")
    from campaigns.exceptions import CampaignError

    with pytest.raises(CampaignError):
        closed_shop_refund(shop=shop, by=staff)  # 80,000 owed, 50,000 in the fund
    guarantee_fund_add(by=staff, amount=50_000, idempotency_key="g2")
    p_before, _ = balances(rich)
    result = closed_shop_refund(shop=shop, by=staff)
    assert result["amount"] == 80_000
    assert balances(rich)[0] == p_before + 80_000
    assert prepaid(rich, shop) == 0
    assert Account.objects.get(kind="guarantee_fund").balance == 20_000
    assert Pledge.objects.get().status == "refunded"
    assert ledger_check().ok
