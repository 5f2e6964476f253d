"""Donations: a one-off gift from the wallet, every cashback routed to the fund by the nightly
run, a donation-angel shop's share taken at settlement, grants out of the fund, the public
page and the receipt. Exact won, checked against the ledger."""

import datetime as dt

import pytest
import time_machine

from ledger.models import Account
from ledger.selectors import ledger_check
from ledger.services import Idem
from merchants.models import Statement
from merchants.settlement import settlement_run
from solidarity.exceptions import DonationError
from solidarity.models import AngelShop, Donation
from solidarity.selectors import fund_summary
from solidarity.services import (
    angel_shop_join,
    cashback_donations_run,
    donation_give,
    donation_preference_set,
    fund_grant,
)
from solidarity.statements import donation_receipt_pdf
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.merchants.factories import ShopFactory
from tests.solidarity.factories import fill_wallet, solidarity_policy, wallet, with_pin
from tests.vouchers.conftest import pay

pytestmark = pytest.mark.django_db

D = dt.date(2026, 5, 12)


def at(day, hour):
    """``hour`` o'clock in Seoul on ``day``."""
    return dt.datetime(
        day.year, day.month, day.day, hour, tzinfo=dt.timezone(dt.timedelta(hours=9))
    )


def fund():
    return (
        Account.objects.filter(kind="community_fund").values_list("balance", flat=True).first() or 0
    )


def payable(shop):
    return Account.objects.get(kind="shop_payable", owner_shop_id=shop.pk).balance


@pytest.fixture
def donor(city, budget):
    solidarity_policy()
    budget()
    user = with_pin(CitizenFactory())
    return user


def test_one_off_donation_splits_like_a_payment_and_thanks_the_donor(donor):
    fill_wallet(donor, ShopFactory())  # 100,000 principal, 10,000 incentive
    result = donation_give(
        user=donor, amount="33,333", idem=Idem.of(f"user:{donor.pk}", "d1", 33_333)
    )
    # 33,333 × 10,000 / 110,000 = 3,030 incentive; 30,303 principal.
    assert (result.body["principal"], result.body["incentive"]) == (30_303, 3_030)
    assert wallet(donor) == (69_697, 6_970)
    assert fund() == 33_333
    with pytest.raises(DonationError):
        donation_give(user=donor, amount=76_668, idem=Idem.of(f"user:{donor.pk}", "d2", 76_668))
    assert fund() == 33_333
    assert ledger_check().ok


def test_every_cashback_goes_to_the_fund_each_night_once(donor):
    shop = ShopFactory()
    with time_machine.travel(at(D, 10)):
        fill_wallet(donor, shop, charged=300_000, spent=0)
        donation_preference_set(user=donor, cashback_to_fund=True)
        pay(donor, shop, 30_000)  # 3,000 cashback
        pay(donor, shop, 21_000)  # 2,100 cashback
        other = with_pin(CitizenFactory())
        fill_wallet(other, shop, charged=50_000, spent=10_000)  # 1,000 cashback, keeps it
    # The second payment spent 21,000 × 3,000 / 273,000 = 230 of the first cashback, so the
    # incentive holds 3,000 - 230 + 2,100 = 4,870 of the day's 5,100 cashback: all of it goes.
    assert wallet(donor) == (300_000 - 30_000 - 20_770, 4_870)
    with time_machine.travel(at(D + dt.timedelta(days=1), 2)):
        assert cashback_donations_run(business_date=D) == (1, 4_870)
        assert cashback_donations_run(business_date=D) == (0, 0)  # a repeat gives nothing
    assert wallet(donor) == (249_230, 0)
    assert wallet(other)[1] == 1_000
    assert fund() == 4_870
    donation = Donation.objects.get()
    assert (donation.source, donation.amount, donation.business_date) == ("cashback", 4_870, D)
    assert ledger_check().ok


def test_cashback_donation_takes_at_most_what_the_incentive_holds(donor):
    shop = ShopFactory()
    with time_machine.travel(at(D, 10)):
        fill_wallet(donor, shop, charged=100_000, spent=0)
        donation_preference_set(user=donor, cashback_to_fund=True)
        pay(donor, shop, 40_000)  # 4,000 cashback
        pay(donor, shop, 64_000)  # spends all 60,000 + 4,000; 6,400 cashback
    assert wallet(donor) == (0, 6_400)
    with time_machine.travel(at(D + dt.timedelta(days=1), 2)):
        # 10,400 cashback on the day, but only the 6,400 the incentive holds can be given.
        assert cashback_donations_run(business_date=D) == (1, 6_400)
    assert wallet(donor) == (0, 0)
    assert fund() == 6_400


def test_a_donation_angel_shop_gives_its_share_before_the_payout(donor):
    shop = ShopFactory()
    plain = ShopFactory()
    angel_shop_join(shop=shop, share_bp=1_000, by=shop.owner)
    with pytest.raises(DonationError):
        angel_shop_join(shop=plain, share_bp=1_000, by=shop.owner)  # not its owner
    with time_machine.travel(at(D, 10)):
        fill_wallet(donor, plain, charged=200_000, spent=0)
        pay(donor, shop, 55_555)
        pay(donor, plain, 10_000)
    with time_machine.travel(at(D + dt.timedelta(days=1), 2)):
        settlement_run(business_date=D)
        settlement_run(business_date=D)  # a repeat takes and pays nothing more
    # 10% of 55,555 = 5,555 to the fund; the shop is paid 50,000.
    assert fund() == 5_555
    statement = Statement.objects.get(shop=shop, business_date=D)
    assert statement.payout_amount == 50_000
    assert Statement.objects.get(shop=plain, business_date=D).payout_amount == 10_000
    assert payable(shop) == 0
    donation = Donation.objects.get()
    assert (donation.source, donation.shop_id, donation.amount) == ("angel_shop", shop.pk, 5_555)
    assert ledger_check().ok


def test_grants_out_of_the_fund_and_the_public_page(donor, client_for):
    fill_wallet(donor, ShopFactory(), charged=100_000, spent=0)
    donation_give(user=donor, amount=80_000, idem=Idem.of(f"user:{donor.pk}", "g", 80_000))
    staff = StaffFactory()
    with pytest.raises(DonationError):
        fund_grant(by=donor, recipient="x", purpose="y", amount=1, idempotency_key="no")
    with pytest.raises(DonationError):
        fund_grant(
            by=staff,
            recipient="푸드뱅크",
            purpose="겨울 김장",
            amount=80_001,
            idempotency_key="big",
        )
    grant = fund_grant(
        by=staff, recipient="푸드뱅크", purpose="겨울 김장", amount=30_000, idempotency_key="g1"
    )
    again = fund_grant(
        by=staff, recipient="푸드뱅크", purpose="겨울 김장", amount=30_000, idempotency_key="g1"
    )
    assert again.pk == grant.pk
    summary = fund_summary()
    assert (summary.balance, summary.donated, summary.granted, summary.donors) == (
        50_000,
        80_000,
        30_000,
        1,
    )
    page = client_for(None).get("/solidarity/fund/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "50,000원" in text
    assert "푸드뱅크" in text
    assert "겨울 김장" in text
    assert ledger_check().ok


def test_the_donation_receipt_lists_the_year(donor, client_for):
    fill_wallet(donor, ShopFactory(), charged=100_000, spent=0)
    donation_give(user=donor, amount=12_345, idem=Idem.of(f"user:{donor.pk}", "r", 12_345))
    year = Donation.objects.get().business_date.year
    pdf = donation_receipt_pdf(user=donor, year=year, city="전주시")
    assert pdf.startswith(b"%PDF-1.4")
    assert "12,345".encode("utf-16-be").hex().upper().encode() in pdf
    response = client_for(donor).get(f"/solidarity/donations/receipt/{year}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert client_for(donor).get("/solidarity/donations/receipt/1999/").status_code == 400


def test_the_owner_makes_the_shop_an_angel_and_staff_grant_from_the_page(donor, client_for):
    shop = ShopFactory()
    page = client_for(shop.owner).get(f"/solidarity/shops/{shop.pk}/angel/")
    assert page.status_code == 200
    joined = client_for(shop.owner).post(f"/solidarity/shops/{shop.pk}/angel/", {"share_bp": "500"})
    assert joined.status_code == 302
    assert AngelShop.objects.get(shop=shop).share_bp == 500
    bad = client_for(shop.owner).post(f"/solidarity/shops/{shop.pk}/angel/", {"share_bp": "9999"})
    assert bad.status_code == 400
    assert client_for(donor).get(f"/solidarity/shops/{shop.pk}/angel/").status_code == 404
    left = client_for(shop.owner).post(f"/solidarity/shops/{shop.pk}/angel/", {"leave": "1"})
    assert left.status_code == 302
    assert AngelShop.objects.get(shop=shop).left_at is not None
    fill_wallet(donor, shop, charged=50_000, spent=0)
    donation_give(user=donor, amount=20_000, idem=Idem.of(f"user:{donor.pk}", "p", 20_000))
    staff = StaffFactory()
    form = client_for(staff).get("/solidarity/fund/grants/")
    assert form.status_code == 200
    key = form.context["form"].initial["idempotency_key"]
    body = {"recipient": "푸드뱅크", "purpose": "김장", "amount": "12,000", "idempotency_key": key}
    assert client_for(staff).post("/solidarity/fund/grants/", body).status_code == 302
    assert client_for(staff).post("/solidarity/fund/grants/", body).status_code == 302  # once
    assert fund() == 8_000
    too_much = {**body, "amount": "9,000", "idempotency_key": "other"}
    assert client_for(staff).post("/solidarity/fund/grants/", too_much).status_code == 400
    assert client_for(donor).get("/solidarity/fund/grants/").status_code == 403
