import datetime as dt

import pytest

from tests.vouchers.conftest import jeonju_rules_and_budget


def wallet_rules_set(key="sales-budget"):
    """Jeonju's wallet rules (500,000 won a month to charge) and a 10,000,000 won budget."""
    jeonju_rules_and_budget(
        amount=10_000_000,
        key=key,
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2040, 12, 31),
    )


@pytest.fixture
def wallet_rules(city):
    wallet_rules_set()
