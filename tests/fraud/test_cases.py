"""The nightly step on a planted ring in a real city, and staff decisions with exact won: the
hold, the release, the claw-back through the ledger, the suspension, every decision logged.

Payments are stamped by the database's clock (``created_at`` defaults to now()), so these tests
run on today, without travelling in time, and call the step for today directly (the nightly
run itself only runs days that are over). Off hours are switched off here so that the result
does not depend on the hour the suite runs at. Each statement commits on its own (a fresh
city, ``live_city``): inside one test transaction the database's now() would stand still at
the transaction's start, before the charges' times."""

import datetime as dt

import pytest
from django.utils import timezone

from fraud.exceptions import CasePermissionError, CaseStateError, FraudError
from fraud.models import Case, CaseDecision, IncentiveHold
from fraud.nightly import step_fraud
from fraud.services import case_decide, thresholds_set
from ledger.models import Account, Entry
from ledger.selectors import ledger_check
from merchants.models import Shop, Statement
from merchants.settlement import settlement_run
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.dashboard.scenario import payable
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import balances, charge, pay
from vouchers.models import Charge
from vouchers.services import budget_fund, policy_set


def budget_total():
    return sum(Account.objects.filter(kind="incentive_budget").values_list("balance", flat=True))


pytestmark = pytest.mark.slow


@pytest.fixture
def ring(live_city):
    """A 10% charging incentive, no cashback. Three citizens each charge 500,000 won (50,000
    won of incentive) and pay 500,000 won at the ring's shop five minutes later; an honest
    citizen charges 100,000 and buys bread for 8,000 in the afternoon."""
    policy_set(
        by=None,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=1000,
        cashback_bp=0,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=0,
    )
    budget_fund(
        by=None,
        name="2026",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2030, 12, 31),
        amount=10_000_000,
        idempotency_key="budget-ring",
    )
    thresholds_set(by=StaffFactory(), values={"off_hours_start": 0, "off_hours_end": 0})
    shop = ShopFactory(name="환전상회")
    bakery = ShopFactory(name="동네빵집", category="bakery")
    members = [CitizenFactory() for _ in range(3)]
    for citizen in members:
        charge(citizen, 500_000)
        pay(citizen, shop, 500_000)
    honest = CitizenFactory()
    charge(honest, 100_000)
    pay(honest, bakery, 8_000)
    return shop, bakery, members, honest


def run_step():
    return step_fraud(business_date=timezone.localdate(), progress=None)


def test_the_nightly_step_opens_one_case_with_its_reasons_and_payments(ring):
    shop, _bakery, members, _honest = ring
    job = run_step()
    assert (job.status, job.counts["opened"], job.counts["payments"]) == ("succeeded", 1, 4)
    case = Case.objects.get()
    assert (case.subject, case.shop, case.score, case.status) == ("shop", shop, 3, "open")
    assert sorted(case.citizens) == sorted(m.pk for m in members)
    kinds = sorted(s["kind"] for s in case.signals)
    assert kinds == ["fast_after_charge", "round_near_limit"]
    assert len(case.payment_ids) == 3
    # The same date again: nothing new, and it says so.
    again = run_step()
    assert (again.status, again.counts["unchanged"]) == ("nothing_to_do", 1)
    assert Case.objects.count() == 1


def test_investigate_holds_then_confirm_claws_back_every_won_of_incentive(ring):
    shop, _bakery, members, _honest = ring
    run_step()
    case = Case.objects.get()
    staff = StaffFactory()
    # Each citizen had 500,000 + 50,000; the 500,000 payment took 45,454 of incentive
    # (50,000 x 500,000 / 550,000, rounded down): 4,546 of incentive is left in each wallet.
    assert [balances(m)[1] for m in members] == [4_546] * 3
    budget_before = budget_total()

    case_decide(case=case, by=staff, action="investigate", reason="세 명이 충전 직후 전액 결제")
    shop.refresh_from_db()
    assert shop.settlement_held
    assert [balances(m)[1] for m in members] == [0] * 3
    assert sorted(IncentiveHold.objects.values_list("amount", flat=True)) == [4_546] * 3
    assert budget_total() == budget_before + 3 * 4_546
    settlement_run(business_date=timezone.localdate())
    assert not Statement.objects.filter(shop=shop).exists()  # the 1,500,000 waits
    assert payable(shop) == 1_500_000

    decision = case_decide(case=case, by=staff, action="confirm", reason="가맹점 확인서 받음")
    shop.refresh_from_db()
    assert (shop.status, shop.settlement_held) == (Shop.Status.SUSPENDED, True)
    clawed = {c["user"]: c for c in decision.effects["clawed_back"]}
    for m in members:
        # 45,454 spent at the shop comes back from its payable, 4,546 from the wallet.
        assert (clawed[m.pk]["from_shop"], clawed[m.pk]["from_wallet"]) == (45_454, 4_546)
        assert clawed[m.pk]["not_recovered"] == 0
        assert balances(m)[1] == 0
    assert payable(shop) == 1_500_000 - 3 * 45_454
    # Every won of the 150,000 incentive is back in the budget.
    assert budget_total() == budget_before + 150_000
    assert [d.action for d in CaseDecision.objects.order_by("id")] == ["investigate", "confirm"]
    case.refresh_from_db()
    assert case.status == "confirmed"
    assert case.decided_at
    assert ledger_check().ok


def test_a_charge_incentive_still_in_the_wallet_is_taken_back_by_reversing_its_entry(ring):
    _shop, _bakery, _members, _honest = ring
    run_step()
    case = Case.objects.get()
    # Turn the case into a citizen's own: the evidence names a charge whose whole incentive is
    # still in the wallet (a fourth citizen, who charged and did not spend).
    saver = CitizenFactory()
    charge(saver, 200_000)
    saved = Charge.objects.get(user=saver)
    citizen_case = Case.objects.create(
        subject="citizen",
        user=saver,
        score=2,
        signals=[
            {
                "kind": "refund_after_charge",
                "text": "t",
                "payments": [],
                "weight": 2,
                "evidence": {"charges": [saved.pk]},
            }
        ],
        shops=[],
        citizens=[saver.pk],
        first_date=timezone.localdate(),
        last_date=timezone.localdate(),
    )
    decision = case_decide(case=citizen_case, by=StaffFactory(), action="confirm", reason="확인")
    result = decision.effects["clawed_back"][0]
    assert (result["earned"], result["from_wallet"], result["not_recovered"]) == (20_000, 20_000, 0)
    reversal = Entry.objects.get(pk=result["entries"][0])
    assert (reversal.kind, reversal.reverses_id) == ("reversal", saved.incentive_entry_id)
    assert balances(saver)[1] == 0
    assert case.status == "open"  # the other case is untouched
    assert ledger_check().ok


def test_dismiss_releases_every_hold_and_the_shop_is_paid_whole(ring):
    shop, _bakery, members, _honest = ring
    run_step()
    case = Case.objects.get()
    staff = StaffFactory()
    case_decide(case=case, by=staff, action="investigate", reason="확인 필요")
    case_decide(case=case, by=staff, action="dismiss", reason="동창회 단체 주문으로 확인")
    shop.refresh_from_db()
    assert not shop.settlement_held
    assert shop.status == "approved"
    assert [balances(m)[1] for m in members] == [4_546] * 3
    assert IncentiveHold.objects.filter(released_at__isnull=True).count() == 0
    settlement_run(business_date=timezone.localdate())
    assert Statement.objects.get(shop=shop).payout_amount == 1_500_000
    with pytest.raises(CaseStateError):
        case_decide(case=case, by=staff, action="confirm", reason="번복")
    # A dismissed subject is not put before staff again for the same evidence.
    job = run_step()
    assert (job.counts["opened"], job.counts["suppressed"]) == (0, 1)
    assert ledger_check().ok


def test_only_staff_decide_and_a_reason_is_required(ring):
    shop, _bakery, _members, _honest = ring
    run_step()
    case = Case.objects.get()
    with pytest.raises(CasePermissionError):
        case_decide(case=case, by=shop.owner, action="dismiss", reason="제 가게입니다")
    with pytest.raises(FraudError):
        case_decide(case=case, by=StaffFactory(), action="dismiss", reason=" ")
    assert not CaseDecision.objects.exists()


def test_a_city_raises_a_threshold_and_the_ring_is_below_it(ring):
    thresholds_set(
        by=StaffFactory(),
        values={"fast_min_citizens": 4, "round_min_count": 4, "off_hours_end": 0},
    )
    job = run_step()
    assert (job.status, job.counts["findings"]) == ("nothing_to_do", 0)


def test_the_review_pages(client_for):
    shop = ShopFactory(name="환전상회")
    citizen = CitizenFactory()
    policy_set(
        by=None,
        effective_from=dt.date(2020, 1, 1),
        cashback_bp=0,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=0,
    )
    charge(citizen, 500_000)
    paid = pay(citizen, shop, 500_000)
    signal = {
        "kind": "fast_after_charge",
        "text": "3 citizens each spent most of a charge here within 30 minutes of charging",
        "evidence": {},
        "payments": [paid["payment_id"]],
        "weight": 3,
    }
    today = timezone.localdate()
    case = Case.objects.create(subject="shop", shop=shop, score=3, signals=[signal],
                               shops=[shop.pk], citizens=[citizen.pk], first_date=today,
                               last_date=today)  # fmt: skip
    staff = client_for(StaffFactory())
    queue = staff.get("/dashboard/fraud/").content.decode()
    assert "환전상회" in queue
    assert "3 citizens each spent most of a charge" in queue
    page = staff.get(f"/dashboard/fraud/{case.pk}/").content.decode()
    assert "500,000원" in page
    response = staff.post(f"/dashboard/fraud/{case.pk}/", {"action": "investigate", "reason": ""})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    response = staff.post(
        f"/dashboard/fraud/{case.pk}/", {"action": "investigate", "reason": "현장 확인"}
    )
    assert response.status_code == 302
    assert Case.objects.get().status == "investigating"
    assert staff.get("/dashboard/fraud/thresholds/").status_code == 200
    assert shop.settlement_held is False
    assert Shop.objects.get(pk=shop.pk).settlement_held
    assert client_for(shop.owner).get("/dashboard/fraud/").status_code == 403
