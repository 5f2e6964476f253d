"""Races of real threads on real PostgreSQL connections, with committed data."""

import datetime as dt

import pytest

from ledger.selectors import account_balance, ledger_check
from tests.helpers import race
from workplaces import services
from workplaces.exceptions import ReportExistsError
from workplaces.models import IncentivePayment, MonthlyReport

from .factories import RoundFactory, declaration_verified

pytestmark = pytest.mark.slow

JAN = dt.date(2021, 1, 1)


def test_monthly_runs_racing_pay_each_month_once(live_city):
    pledge_round = RoundFactory()
    services.round_fund(
        by=pledge_round.created_by, pledge_round=pledge_round, amount=8_000_000, idempotency_key="r"
    )
    declarations = [declaration_verified(pledge_round=pledge_round) for _ in range(3)]
    for declaration in declarations:
        services.report_file(
            by=declaration.workplace.owner,
            declaration=declaration,
            data=services.ReportInput(month=JAN, headcount=25),
        )
    results = race(live_city, 4, lambda i: services.incentives_run(month=JAN))
    assert not [r for r in results if isinstance(r, BaseException)], results
    # 8,000,000 pays two workplaces' 3,250,000; the third finds 1,500,000: not paid, never less.
    paid = IncentivePayment.objects.filter(status="paid")
    assert paid.count() == 2
    assert IncentivePayment.objects.filter(status="no_budget").count() == 1
    assert account_balance(services.round_budget_account(pledge_round).pk) == 1_500_000
    assert ledger_check().ok


def test_two_reports_for_one_month_racing_file_one(live_city):
    declaration = declaration_verified()

    def file(i):
        return services.report_file(
            by=declaration.workplace.owner,
            declaration=declaration,
            data=services.ReportInput(month=JAN, headcount=20 + i),
        )

    results = race(live_city, 6, file)
    assert len([r for r in results if isinstance(r, MonthlyReport)]) == 1
    assert all(isinstance(r, (MonthlyReport, ReportExistsError)) for r in results), results
