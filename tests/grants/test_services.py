"""Grant programmes with exact won: the amount rule, review, batch payment, expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from grants.exceptions import (
    AlreadyAppliedError,
    BudgetExhaustedError,
    DecisionError,
    GrantError,
    GrantForbiddenError,
    ProgrammeNotOpenError,
)
from grants.models import MEDIAN_INCOME_2020, Application, Expiry, Programme
from grants.rules import grant_amount, identifier_mask
from grants.services import (
    APPROVE,
    REJECT,
    REQUEST_DOCUMENTS,
    ScreeningRow,
    application_decide,
    grants_expire,
    grants_pay,
    screening_import,
)
from ledger.models import Account
from ledger.selectors import citizen_balances, ledger_check
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.grants.factories import apply, jeonju_2020


def _grant_budget(programme) -> int:
    return Account.objects.get(kind="grant_budget", shard=programme.pk).balance


@pytest.mark.parametrize(
    ("rule", "fixed", "share", "size", "per", "won"),
    [
        # Jeonju 2020: 30% of 1,757,194 = 527,158.2 → 527,158 won.
        ("median_share", 0, 3000, 1, "person", 527_158),
        # Per person, the household's size does not matter: the one-person figure.
        ("median_share", 0, 3000, 4, "person", 527_158),
        # Per household: 30% of the four-person figure 4,749,174 = 1,424,752.2 → 1,424,752.
        ("median_share", 0, 3000, 4, "household", 1_424_752),
        # Beyond the table: its largest size (seven: 7,389,715 × 10% = 738,971.5 → 738,971).
        ("median_share", 0, 1000, 9, "household", 738_971),
        ("fixed", 300_000, 0, 3, "household", 300_000),
    ],
)
def test_the_amount_rule_in_won(rule, fixed, share, size, per, won):
    assert (
        grant_amount(
            rule=rule,
            fixed_amount=fixed,
            share_bp=share,
            table=MEDIAN_INCOME_2020,
            household_size=size,
            per=per,
        )
        == won
    )


def test_an_identifier_is_kept_masked_and_fingerprinted(city):
    staff = StaffFactory()
    programme = jeonju_2020(staff)
    application = apply(programme, CitizenFactory(), identifier="900101-1234567")
    assert application.person_masked == identifier_mask("9001011234567") == "900101-1******"
    assert "1234567" not in application.person_key
    assert len(application.person_key) == 64


def test_opening_funds_the_budget_once_and_a_second_application_is_refused(city):
    staff = StaffFactory()
    programme = jeonju_2020(staff, budget=1_000_000)
    assert _grant_budget(programme) == 1_000_000
    citizen = CitizenFactory()
    application = apply(programme, citizen)
    assert application.amount == 527_158
    assert application.status == Application.Status.SUBMITTED
    with pytest.raises(AlreadyAppliedError):
        apply(programme, citizen)
    assert Application.objects.filter(programme=programme).count() == 1


def test_a_draft_programme_takes_no_application(city):
    programme = jeonju_2020(StaffFactory(), open_=False)
    with pytest.raises(ProgrammeNotOpenError):
        apply(programme, CitizenFactory())


def test_duplicates_and_excluded_people_are_flagged_with_the_reason(city):
    staff = StaffFactory()
    programme = jeonju_2020(staff, per="household")
    first = apply(programme, CitizenFactory(), identifier="8001011111111", household="효자동 1")
    screening_import(
        programme=programme,
        by=staff,
        kind="other_aid",
        rows=[ScreeningRow("800101-1111111")],
    )
    screening_import(
        programme=programme,
        by=staff,
        kind="income",
        rows=[
            ScreeningRow("8001011111111", health_premium=90_000, property_tax=100_000),
            ScreeningRow("8502022222222", health_premium=110_001, property_tax=250_000),
        ],
    )
    first.refresh_from_db()
    assert first.flags == ["other_aid"]
    # Same household, premium one won over and property tax over the thresholds.
    second = apply(programme, CitizenFactory(), identifier="8502022222222", household="효자동  1")
    assert second.flags == ["duplicate_household", "premium_over", "property_tax_over"]
    # Same person through another account; not on the premium list.
    third = apply(programme, CitizenFactory(), identifier="8001011111111", household="삼천동 9")
    assert third.flags == ["duplicate_person", "other_aid"]
    fourth = apply(programme, CitizenFactory(), identifier="7003033333333", household="평화동 2")
    assert fourth.flags == ["not_on_list"]


def test_review_approves_rejects_and_asks_for_documents(city):
    staff = StaffFactory()
    programme = jeonju_2020(staff)
    a, b, c = (apply(programme, CitizenFactory()) for _ in range(3))
    application_decide(application=a, by=staff, decision=APPROVE)
    application_decide(application=b, by=staff, decision=REJECT, reason="실업급여 수급 중")
    application_decide(application=c, by=staff, decision=REQUEST_DOCUMENTS, reason="근로계약서")
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "approved", b.pk: "rejected", c.pk: "documents_requested"}
    with pytest.raises(DecisionError):
        application_decide(application=b, by=staff, decision=APPROVE)
    with pytest.raises(GrantError):
        application_decide(application=c, by=staff, decision=REJECT)  # no reason
    with pytest.raises(GrantForbiddenError):
        application_decide(application=c, by=CitizenFactory(), decision=APPROVE)
    programme.refresh_from_db()
    assert programme.committed == 527_158
    assert [e.action for e in b.events.all()] == ["submitted", "reject"]


def test_approvals_stop_at_the_budget(city):
    staff = StaffFactory()
    programme = jeonju_2020(staff, budget=527_158 * 2 + 527_157)  # two and a won short of three
    apps = [apply(programme, CitizenFactory()) for _ in range(3)]
    application_decide(application=apps[0], by=staff, decision=APPROVE)
    application_decide(application=apps[1], by=staff, decision=APPROVE)
    with pytest.raises(BudgetExhaustedError):
        application_decide(application=apps[2], by=staff, decision=APPROVE)
    apps[2].refresh_from_db()
    assert apps[2].status == "submitted"
    programme.refresh_from_db()
    assert programme.committed == 1_054_316


def test_a_household_is_approved_once_in_a_household_programme(city):
    staff = StaffFactory()
    programme = jeonju_2020(staff, per="household")
    a = apply(programme, CitizenFactory(), household="효자동 7", size=2)
    b = apply(programme, CitizenFactory(), household="효자동 7", size=2)
    assert a.amount == 897_594  # 30% of 2,991,980
    application_decide(application=a, by=staff, decision=APPROVE)
    with pytest.raises(DecisionError):
        application_decide(application=b, by=staff, decision=APPROVE)


def test_a_batch_pays_every_approved_application_once(city):
    staff = StaffFactory()
    programme = jeonju_2020(staff, budget=5_000_000)
    citizens = [CitizenFactory() for _ in range(3)]
    apps = [apply(programme, c) for c in citizens]
    for application in apps[:2]:
        application_decide(application=application, by=staff, decision=APPROVE)
    batch = grants_pay(programme=programme, by=staff)
    assert (batch.paid, batch.amount) == (2, 1_054_316)
    again = grants_pay(programme=programme, by=staff)
    assert (again.paid, again.amount) == (0, 0)
    assert citizen_balances(user_id=citizens[0].pk).grant == 527_158
    assert citizen_balances(user_id=citizens[2].pk).grant == 0
    assert _grant_budget(programme) == 5_000_000 - 1_054_316
    # The third is approved later and paid by the next batch.
    application_decide(application=apps[2], by=staff, decision=APPROVE)
    third = grants_pay(programme=programme, by=staff)
    assert (third.paid, third.amount) == (1, 527_158)
    assert sorted(Application.objects.values_list("status", flat=True)) == ["paid"] * 3
    assert ledger_check().ok


def test_expiry_returns_what_is_left_once_a_day(city):
    staff = StaffFactory()
    programme = jeonju_2020(staff, budget=2_000_000, spend_until=dt.date(2030, 12, 31))
    citizens = [CitizenFactory() for _ in range(2)]
    for c in citizens:
        application_decide(application=apply(programme, c), by=staff, decision=APPROVE)
    grants_pay(programme=programme, by=staff)
    assert _grant_budget(programme) == 2_000_000 - 1_054_316
    # On the deadline nothing is returned yet.
    assert grants_expire(business_date=dt.date(2030, 12, 31)) == []
    returned = grants_expire(business_date=dt.date(2031, 1, 1))
    assert [(e.accounts, e.amount) for e in returned] == [(2, 1_054_316)]
    assert grants_expire(business_date=dt.date(2031, 1, 1)) == []  # once a day
    assert citizen_balances(user_id=citizens[0].pk).grant == 0
    assert _grant_budget(programme) == 2_000_000
    programme.refresh_from_db()
    assert programme.status == Programme.Status.ENDED
    # The next day there is nothing left: a row of 0 won, no entry.
    nothing = grants_expire(business_date=dt.date(2031, 1, 2))
    assert [(e.amount, e.entry_id) for e in nothing] == [(0, None)]
    assert Expiry.objects.filter(programme=programme).count() == 2
    assert ledger_check().ok


def test_the_nightly_step_returns_the_day_after_the_deadline_and_tells_holders_before(city):
    from grants.models import ExpiryNotice
    from operations.nightly import step_grants

    staff = StaffFactory()
    programme = jeonju_2020(staff, budget=1_000_000, spend_until=dt.date(2030, 12, 31))
    citizen = CitizenFactory()
    application_decide(application=apply(programme, citizen), by=staff, decision=APPROVE)
    grants_pay(programme=programme, by=staff)
    # The night of 22 December closes it with the 23rd eight days before the deadline: nothing
    # due; the next night (the 24th, seven days before) the holder is told, once.
    assert step_grants(business_date=dt.date(2030, 12, 22), progress=None).status == "nothing_to_do"
    told = step_grants(business_date=dt.date(2030, 12, 23), progress=None)
    assert told.counts["notices"] == 1
    assert ExpiryNotice.objects.get().balance == 527_158
    assert step_grants(business_date=dt.date(2030, 12, 24), progress=None).counts["notices"] == 0
    # The run of the deadline's own date returns it, dated the next day.
    done = step_grants(business_date=dt.date(2030, 12, 31), progress=None)
    assert (done.counts["programmes"], done.sums["returned"]) == (1, 527_158)
    assert citizen_balances(user_id=citizen.pk).grant == 0
