"""Settlement of a business date: exact payouts per shop (wallet payments, pledges by wallet and
card, cancellations), carried balances, idempotency, the transfer file, the statements pages."""

import datetime as dt

import pytest
import time_machine

from campaigns.services import pledge_with_card
from ledger.models import Entry
from ledger.selectors import ledger_check
from ledger.services import entry_reverse
from merchants.models import Statement, TransferFile
from merchants.settlement import settlement_run
from tests.accounts.factories import CitizenFactory, ClerkFactory, OwnerFactory, StaffFactory
from tests.campaigns.conftest import pledge
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.dashboard.scenario import at, paid_out, payable
from tests.merchants.factories import ShopFactory, add_clerk
from tests.vouchers.conftest import charge, pay
from vouchers.models import Payment
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import budget_fund, payment_cancel, pin_set, policy_set

D = dt.date(2026, 3, 10)
NEXT = D + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _policy(city):
    """Jeonju's rules: 10% cashback up to 50,000 won a month, 500,000 won charged a month."""
    policy_set(
        by=None,
        effective_from=dt.date(2020, 1, 1),
        cashback_bp=1000,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=50_000,
    )


@pytest.fixture
def citizen(city):
    user = CitizenFactory()
    pin_set(user=user, pin="123456", password="test-pass-1234")
    return user


@pytest.fixture
def budget(city):
    def fund(amount):
        budget_fund(
            by=None,
            name="budget",
            starts_on=dt.date(2020, 1, 1),
            ends_on=dt.date(2030, 12, 31),
            amount=amount,
            idempotency_key=f"budget-{amount}",
        )

    return fund


@pytest.fixture
def shops(city):
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, number=1)
    a, b, quiet = ShopFactory(bank_account="1013000012345"), ShopFactory(), ShopFactory()
    for shop in (a, b):
        CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)
    return campaign, a, b, quiet


def day_of_sales(citizen, campaign, a, b):
    """On D: payments at A and B, one cancelled; a wallet pledge at A, a card pledge at B."""
    with time_machine.travel(at(D, 10)):
        charge(citizen, 500_000)
        pay(citizen, a, 12_000)
        cancelled = pay(citizen, a, 8_000)
        pay(citizen, b, 30_000)
        payment_cancel(payment=Payment.objects.get(pk=cancelled["payment_id"]), by=a.owner)
        pledge(citizen, campaign, a, 100_000)
        card, _url = pledge_with_card(user=citizen, campaign=campaign, shop=b, amount=100_000)
        assert sandbox_approve(card.charge.order_id)["status"] == "credited"


def test_payouts_are_exact_per_shop_with_cancellations_and_pledges(citizen, budget, shops):
    campaign, a, b, quiet = shops
    budget(1_000_000)
    day_of_sales(citizen, campaign, a, b)
    with time_machine.travel(at(NEXT, 0, 30)):
        pay(citizen, a, 5_000)  # after midnight: belongs to the next day
    with time_machine.travel(at(NEXT, 2)):
        report = settlement_run(business_date=D)

    assert (report.statements, report.payouts, report.already) == (2, 2, 0)
    assert (report.gross, report.cancellations, report.paid) == (250_000, 8_000, 242_000)
    sa = Statement.objects.get(shop=a, business_date=D)
    # 12,000 + 8,000 + the 100,000 pledge, less the 8,000 cancelled
    assert (sa.gross, sa.cancellations, sa.net, sa.carried_in) == (120_000, 8_000, 112_000, 0)
    assert (sa.payout_amount, sa.carried_out, sa.postings) == (112_000, 0, 4)
    assert sa.reference == f"JP20260310-{a.pk}"
    sb = Statement.objects.get(shop=b, business_date=D)
    assert (sb.gross, sb.cancellations, sb.payout_amount) == (130_000, 0, 130_000)
    assert not Statement.objects.filter(shop=quiet).exists()

    assert (paid_out(a), payable(a)) == (112_000, 5_000)  # the 5,000 waits for its own day
    assert (paid_out(b), payable(b)) == (130_000, 0)
    entry = Entry.objects.get(idempotency_key=f"settlement:{a.pk}:2026-03-10")
    assert (entry.kind, entry.business_date, sa.payout_entry_id) == ("settlement", D, entry.pk)

    transfer = TransferFile.objects.get(business_date=D)
    assert (transfer.transfers, transfer.total) == (2, 242_000)
    lines = transfer.content.strip().split("\r\n")
    assert len(lines) == 3
    assert lines[1] == (
        f'{a.pk},"{a.name}","전북은행","{a.bank_account_masked}",112000,"JP20260310-{a.pk}"'
    )
    assert "1013000012345" not in transfer.content
    assert ledger_check().ok


def test_a_second_run_pays_nothing_and_says_so(citizen, budget, shops):
    campaign, a, b, _quiet = shops
    budget(1_000_000)
    day_of_sales(citizen, campaign, a, b)
    with time_machine.travel(at(NEXT, 2)):
        settlement_run(business_date=D)
        entries = Entry.objects.count()
        content = TransferFile.objects.get(business_date=D).content
        again = settlement_run(business_date=D)
    assert (again.statements, again.payouts, again.paid, again.already) == (0, 0, 0, 2)
    assert not again.changed
    assert Entry.objects.count() == entries
    assert TransferFile.objects.get(business_date=D).content == content
    assert (paid_out(a), paid_out(b)) == (112_000, 130_000)


def test_a_late_cancellation_is_carried_forward_and_netted(citizen, budget, shops):
    _campaign, a, _b, _quiet = shops
    budget(1_000_000)
    with time_machine.travel(at(D, 10)):
        charge(citizen, 500_000)
        paid = pay(citizen, a, 10_000)
    with time_machine.travel(at(NEXT, 2)):
        settlement_run(business_date=D)
    with time_machine.travel(at(NEXT, 15)):
        # The city cancels yesterday's payment (a counter can only cancel today's).
        payment = Payment.objects.get(pk=paid["payment_id"])
        # One entry: the payment and its cashback (vouchers migration 0004).
        assert payment.cashback_entry is None
        entry_reverse(entry=payment.entry, idempotency_key="city-cancel")
        pay(citizen, a, 3_000)
    day2, day3 = NEXT, NEXT + dt.timedelta(days=1)
    with time_machine.travel(at(day3, 2)):
        settlement_run(business_date=day2)
    s2 = Statement.objects.get(shop=a, business_date=day2)
    assert (s2.gross, s2.cancellations, s2.net, s2.carried_in) == (3_000, 10_000, -7_000, 0)
    assert (s2.payout_amount, s2.carried_out) == (0, -7_000)
    assert s2.payout_entry_id is None
    assert payable(a) == -7_000  # may go negative: the shop owes it back from later sales
    with time_machine.travel(at(day3, 12)):
        pay(citizen, a, 20_000)
    with time_machine.travel(at(day3 + dt.timedelta(days=1), 2)):
        settlement_run(business_date=day3)
    s3 = Statement.objects.get(shop=a, business_date=day3)
    assert (s3.gross, s3.carried_in, s3.payout_amount, s3.carried_out) == (
        20_000,
        -7_000,
        13_000,
        0,
    )
    assert paid_out(a) == 10_000 + 13_000
    assert payable(a) == 0
    assert ledger_check().ok


def test_a_day_settled_late_is_not_paid_again_by_an_earlier_date(citizen, budget, shops):
    """Settling D+1 first sweeps D's sales too; settling D afterwards pays nothing twice."""
    _campaign, a, _b, _quiet = shops
    budget(1_000_000)
    with time_machine.travel(at(D, 10)):
        charge(citizen, 500_000)
        pay(citizen, a, 10_000)
    with time_machine.travel(at(NEXT, 10)):
        pay(citizen, a, 4_000)
    with time_machine.travel(at(NEXT + dt.timedelta(days=1), 2)):
        first = settlement_run(business_date=NEXT)
        late = settlement_run(business_date=D)
    assert (first.paid, late.statements, late.paid) == (14_000, 0, 0)
    statement = Statement.objects.get(shop=a)
    assert (statement.business_date, statement.carried_in, statement.payout_amount) == (
        NEXT,
        10_000,
        14_000,
    )
    assert paid_out(a) == 14_000


def test_chunks_settle_every_shop_once(citizen, budget, city):
    budget(1_000_000)
    shops = [ShopFactory() for _ in range(5)]
    with time_machine.travel(at(D, 10)):
        charge(citizen, 500_000)
        for n, shop in enumerate(shops, start=1):
            pay(citizen, shop, 1_000 * n)
    with time_machine.travel(at(NEXT, 2)):
        chunks = []
        report = settlement_run(
            business_date=D, chunk_size=2, on_chunk=lambda done, total: chunks.append(done)
        )
    assert report.chunks == 3
    assert chunks[-1] == report.shops_considered
    assert [paid_out(s) for s in shops] == [1_000, 2_000, 3_000, 4_000, 5_000]


# --- Pages ------------------------------------------------------------------------------------


@pytest.fixture
def settled(citizen, budget, shops):
    campaign, a, b, _quiet = shops
    budget(1_000_000)
    day_of_sales(citizen, campaign, a, b)
    with time_machine.travel(at(NEXT, 2)):
        settlement_run(business_date=D)
    return a


def test_the_owner_sees_statements_and_downloads_one(client_for, settled):
    client = client_for(settled.owner)
    page = client.get(f"/shops/{settled.pk}/statements/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("2026-03-10", "112,000원", "120,000원"):
        assert text in html
    response = client.get(f"/shops/{settled.pk}/statements/2026-03-10.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert f"JP20260310-{settled.pk}" in body
    assert "112000" in body
    assert body.count("\r\n") >= 13 + 4  # figures, header, the four postings of the day


def test_statement_downloads_are_for_the_owner_only(client_for, settled):
    clerk = add_clerk(settled, ClerkFactory())
    url = f"/shops/{settled.pk}/statements/2026-03-10.csv"
    assert client_for(clerk).get(url).status_code == 403
    assert client_for(clerk).get(f"/shops/{settled.pk}/statements/").status_code == 403
    assert client_for(OwnerFactory()).get(url).status_code == 404
    assert client_for(StaffFactory()).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302  # to the sign-in page


@pytest.mark.parametrize("day", ["2026-03-09", "2026-13-01", "yesterday"])
def test_a_statement_that_does_not_exist_is_a_clear_404(client_for, settled, day):
    response = client_for(settled.owner).get(f"/shops/{settled.pk}/statements/{day}.csv")
    assert response.status_code == 404


def test_city_staff_download_the_bank_transfer_file(client_for, settled):
    url = "/dashboard/operations/transfers/2026-03-10.csv"
    response = client_for(StaffFactory()).get(url)
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert f'"JP20260310-{settled.pk}"' in body
    assert client_for(settled.owner).get(url).status_code == 403
    assert (
        client_for(StaffFactory()).get("/dashboard/operations/transfers/2026-03-09.csv").status_code
        == 404
    )
    assert (
        client_for(StaffFactory()).get("/dashboard/operations/transfers/nope.csv").status_code
        == 404
    )
