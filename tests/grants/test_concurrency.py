"""Races on real PostgreSQL connections: approvals against the budget, batches run twice."""

from __future__ import annotations

import pytest

from grants.exceptions import BudgetExhaustedError
from grants.models import Application
from grants.services import APPROVE, application_decide, grants_pay
from ledger.models import Account
from ledger.selectors import ledger_check
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.grants.factories import apply, jeonju_2020
from tests.helpers import race

pytestmark = pytest.mark.slow


def test_200_approvals_racing_for_a_budget_of_150_pay_150_and_overspend_nothing(live_city):
    staff = StaffFactory()
    programme = jeonju_2020(staff, budget=150 * 527_158)
    applications = [apply(programme, CitizenFactory()) for _ in range(200)]

    def approve(i):
        return application_decide(application=applications[i], by=staff, decision=APPROVE)

    results = race(live_city, 200, approve)
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, BudgetExhaustedError) for r in refused), refused[:3]
    assert len(refused) == 50
    assert Application.objects.filter(status="approved").count() == 150

    batches = race(live_city, 2, lambda i: grants_pay(programme=programme, by=staff))
    assert sorted((b.paid, b.amount) for b in batches) == [(0, 0), (150, 79_073_700)]
    budget = Account.objects.get(kind="grant_budget", shard=programme.pk)
    assert budget.balance == 0  # 150 × 527,158 = 79,073,700: all of it, not a won more
    paid = Account.objects.filter(kind="wallet_grant", shard=programme.pk)
    assert sorted(set(paid.values_list("balance", flat=True))) == [527_158]
    assert paid.count() == 150
    assert ledger_check().ok
