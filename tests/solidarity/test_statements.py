"""The year-end statement: exact figures by month, every total held against the ledger's
postings, the PDF and CSV, the API, and the city-wide totals for staff."""

import datetime as dt

import pytest
import time_machine
from django.db import connection

from ledger.models import Account, Entry
from ledger.services import Idem, Leg, account_get_or_create, entry_post, system_account
from solidarity.exceptions import StatementYearError
from solidarity.models import Donation, Gift
from solidarity.services import donation_give, gift_cancel
from solidarity.statements import statement_city, statement_csv, statement_for, statement_pdf
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.campaigns.conftest import pledge
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.merchants.factories import ShopFactory
from tests.solidarity.factories import give, solidarity_policy, with_pin
from tests.vouchers.conftest import charge, pay
from vouchers.models import Payment

pytestmark = pytest.mark.django_db

SEOUL = dt.timezone(dt.timedelta(hours=9))


def at(month, day):
    return dt.datetime(2026, month, day, 11, tzinfo=SEOUL)


def ledger_sum(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0] or 0)


def wallet_postings(user, kinds, year=2026):
    """The sum of the postings on ``user``'s wallet accounts in entries of ``kinds`` (and their
    reversals) in ``year``: what the ledger says moved in or out of the wallet that way."""
    return ledger_sum(
        "SELECT SUM(p.amount) FROM ledger_postings p"
        " JOIN ledger_entries e ON e.id = p.entry_id"
        " LEFT JOIN ledger_entries r ON r.id = e.reverses_id"
        " JOIN ledger_accounts a ON a.id = p.account_id"
        " WHERE a.owner_user_id = %s AND a.kind IN ('wallet_principal', 'wallet_incentive')"
        " AND (e.kind = ANY(%s) OR r.kind = ANY(%s))"
        " AND EXTRACT(YEAR FROM p.business_date) = %s",
        [user.pk, kinds, kinds, year],
    )


@pytest.fixture
def year_of(city, budget):
    """A citizen's 2026: charges, payments at two shops in March and April, a pledge, gifts
    sent (one claimed, one cancelled) and received, a donation, and a grant."""
    staff = StaffFactory()
    solidarity_policy(by=staff)
    budget()
    shop, other_shop = ShopFactory(), ShopFactory()
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, number=1)
    CampaignShopFactory(campaign=campaign, shop=other_shop)
    me = with_pin(CitizenFactory(phone="01012340000"))
    friend = with_pin(CitizenFactory())
    with time_machine.travel(at(3, 5)):
        charge(me, 500_000)
        pay(me, shop, 40_000)  # 4,000 cashback
        pay(me, other_shop, 10_000)  # 1,000 cashback
        give(me, friend.email, 20_000)  # claimed at once
        cancelled = give(me, "gone@example.kr", 5_000).body["gift_id"]
        gift_cancel(gift_id=cancelled, by=me)
    with time_machine.travel(at(4, 9)):
        pledge(me, campaign, other_shop, 100_000)  # a prepayment: not deductible
        pay(me, shop, 25_000)  # 2,500 cashback
        donation_give(user=me, amount=7_000, idem=Idem.of(f"user:{me.pk}", "don", 7_000))
        charge(friend, 30_000)
        give(friend, "010-1234-0000", 12_000)  # to me, by phone
    with time_machine.travel(at(4, 20)):
        grant_budget = system_account(Account.Kind.GRANT_BUDGET)
        wallet = account_get_or_create(kind=Account.Kind.WALLET_PRINCIPAL, user=me)
        entry_post(
            kind=Entry.Kind.FUNDING,
            legs=[
                Leg.of(system_account(Account.Kind.OUTSIDE_WORLD), -50_000),
                Leg.of(grant_budget, 50_000),
            ],
            idempotency_key="t:fund",
        )
        entry_post(
            kind=Entry.Kind.GRANT,
            legs=[Leg.of(grant_budget, -50_000), Leg.of(wallet, 50_000)],
            idempotency_key="t:grant",
        )
    return me, friend


def test_the_months_in_exact_won(year_of):
    me, _friend = year_of
    s = statement_for(user=me, year=2026)
    assert s.months[3] == {
        "shop_payments": 50_000,
        "pledges": 0,
        "gifts_sent": 20_000,  # the cancelled gift counts for nothing
        "gifts_received": 0,
        "donations": 0,
        "cashback": 5_000,
        "grants_received": 0,
    }
    assert s.months[4] == {
        "shop_payments": 25_000,
        "pledges": 100_000,
        "gifts_sent": 0,
        "gifts_received": 12_000,
        "donations": 7_000,
        "cashback": 12_500,  # the pledge paid from the wallet earned 10,000 too
        "grants_received": 50_000,
    }
    assert s.deductible == 75_000
    assert s.not_deductible == 100_000 + 20_000 + 7_000
    data = s.as_dict()
    assert data["totals"]["shop_payments"] == 75_000
    assert [m["deductible"] for m in data["months"]][2:4] == [50_000, 25_000]


def test_the_totals_agree_with_the_ledger(year_of):
    me, _friend = year_of
    s = statement_for(user=me, year=2026)
    payments = Payment.objects.filter(user=me, status="completed")
    # Shop payments and pledges: what the shops' payables received in those entries.
    for column, methods in (
        ("shop_payments", ["shop_qr", "customer_code"]),
        ("pledges", ["pledge"]),
    ):
        entries = list(payments.filter(method__in=methods).values_list("entry_id", flat=True))
        from_ledger = ledger_sum(
            "SELECT SUM(p.amount) FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id"
            " WHERE p.entry_id = ANY(%s) AND a.kind IN ('shop_payable', 'prepaid_issued')"
            " AND p.amount > 0",
            [entries],
        )
        assert s.total(column) == from_ledger, column
    # Cashback: what the payments added to the incentive beyond what they took from it.
    cashback = sum(
        ledger_sum(
            "SELECT SUM(p.amount) FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id"
            " WHERE p.entry_id = %s AND a.kind = 'wallet_incentive'",
            [payment.entry_id],
        )
        + payment.from_incentive
        for payment in payments
    )
    assert s.total("cashback") == cashback == 17_500
    # Gifts out of my wallet, net of the cancelled one's reversal; gifts into it.
    sent_entries = list(Gift.objects.filter(sender=me).values_list("send_entry_id", flat=True))
    out_of_wallet = ledger_sum(
        "SELECT SUM(p.amount) FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id"
        " WHERE (p.entry_id = ANY(%s) OR p.entry_id IN (SELECT id FROM ledger_entries WHERE reverses_id = ANY(%s)))"
        " AND a.owner_user_id = %s AND a.kind IN ('wallet_principal', 'wallet_incentive')",
        [sent_entries, sent_entries, me.pk],
    )
    assert s.total("gifts_sent") == -out_of_wallet == 20_000
    into_wallet = wallet_postings(me, ["gift"]) - out_of_wallet
    assert s.total("gifts_received") == into_wallet == 12_000
    assert s.total("donations") == -wallet_postings(me, ["donation"]) == 7_000
    assert s.total("grants_received") == wallet_postings(me, ["grant"]) == 50_000
    assert Donation.objects.get().amount == Account.objects.get(kind="community_fund").balance


def test_city_wide_totals_sum_every_citizen(year_of):
    me, friend = year_of
    city = statement_city(year=2026)
    mine, theirs = statement_for(user=me, year=2026), statement_for(user=friend, year=2026)
    for column in (
        "shop_payments",
        "pledges",
        "gifts_sent",
        "gifts_received",
        "donations",
        "cashback",
    ):
        assert city.total(column) == mine.total(column) + theirs.total(column), column
    assert city.total("gifts_sent") == 32_000
    assert city.total("grants_received") == 50_000


def test_csv_and_pdf(year_of):
    me, _friend = year_of
    s = statement_for(user=me, year=2026)
    lines = statement_csv(s).lstrip("\ufeff").splitlines()
    assert len(lines) == 14  # header, 12 months, total
    assert lines[3].startswith("2026-03,50000,0,20000,0,0,5000,0")
    assert lines[-1].split(",")[1:] == [
        "75000",
        "100000",
        "20000",
        "12000",
        "7000",
        "17500",
        "50000",
    ]
    pdf = statement_pdf(s, city="전주시", name="김민수")
    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert "75,000".encode("utf-16-be").hex().upper().encode() in pdf


def test_the_api_answers_json_pdf_and_csv(api_client, year_of):
    me, _friend = year_of
    api_client.force_authenticate(me)
    response = api_client.get("/api/v1/statements/2026")
    assert response.status_code == 200
    assert response.json()["deductible"] == 75_000
    pdf = api_client.get("/api/v1/statements/2026?format=pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert api_client.get("/api/v1/statements/2026?format=csv").status_code == 200
    bad = api_client.get("/api/v1/statements/1999")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "statement_year_invalid"
    with pytest.raises(StatementYearError):
        statement_for(user=me, year=3000)


def test_pages_for_the_citizen_and_staff(client_for, year_of):
    me, _friend = year_of
    page = client_for(me).get("/solidarity/statements/2026/")
    assert page.status_code == 200
    assert "75,000원" in page.content.decode()
    assert client_for(me).get("/solidarity/statements/2026/city/").status_code == 403
    staff = StaffFactory()
    city_page = client_for(staff).get("/solidarity/statements/2026/city/?format=csv")
    assert city_page.status_code == 200
    assert "32000" in city_page.content.decode("utf-8-sig")
