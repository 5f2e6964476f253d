"""Paying at shops: proportional spending, cashback, caps, budget, refusals. Exact won."""

import datetime as dt

import pytest
import time_machine

from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry, Posting
from ledger.selectors import ledger_check
from merchants.exceptions import ShopNotApprovedError
from tests.accounts.factories import CitizenFactory
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import balances, charge, pay
from vouchers.models import MonthlyUsage, Payment, Wallet
from vouchers.selectors import wallet_history
from vouchers.services import budget_fund, policy_override_add, policy_set

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def budget_left():
    return sum(
        Account.objects.filter(kind=Account.Kind.INCENTIVE_BUDGET).values_list("balance", flat=True)
    )


def test_payment_with_cashback_rounds_down(citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 100_000)
    body = pay(citizen, shop, 12_345)
    assert body["amount"] == 12_345
    assert body["from_principal"] == 12_345
    assert body["from_incentive"] == 0
    assert body["cashback"] == 1_234  # 10% of 12,345 is 1,234.5: down to the won
    assert balances(citizen) == (87_655, 1_234)
    assert budget_left() == 1_000_000 - 1_234
    payable = Account.objects.get(kind="shop_payable", owner_shop_id=shop.pk)
    assert payable.balance == 12_345
    assert ledger_check().ok


def test_principal_and_incentive_are_spent_in_proportion(citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 50_000)  # cashback 5,000 → principal 50,000, incentive 5,000
    assert balances(citizen) == (50_000, 5_000)
    body = pay(citizen, shop, 1_001)
    # 1,001 × 5,000 / 55,000 = 91.0: incentive 91, principal 910 (principal takes the remainder)
    assert body["from_incentive"] == 91
    assert body["from_principal"] == 910
    principal, incentive = balances(citizen)
    assert (principal, incentive) == (49_090, 5_009)  # 5,000 - 91 + 100 cashback
    body = pay(citizen, shop, 7)
    # 7 × 5,009 / 54,099 = 0.648: the incentive part rounds down to 0, principal pays all 7
    assert (body["from_principal"], body["from_incentive"]) == (7, 0)


def _postings_by_account_kind(entry_id) -> dict[str, int]:
    postings = Posting.objects.filter(entry_id=entry_id).select_related("account")
    return {p.account.kind: p.amount for p in postings}


def test_a_payment_and_its_cashback_are_one_entry(citizen, shop, budget):
    """The cashback's legs are in the payment's own entry, one posting per account: the
    incentive account's is the cashback less the incentive part spent."""
    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 50_000)  # principal 50,000, incentive 5,000 (the cashback)
    entries_before = Entry.objects.count()
    body = pay(citizen, shop, 1_001)  # incentive part 91, principal 910, cashback 100
    assert Entry.objects.count() == entries_before + 1
    payment = Payment.objects.get(pk=body["payment_id"])
    assert payment.cashback_entry is None
    assert payment.entry.kind == Entry.Kind.PAYMENT
    assert _postings_by_account_kind(payment.entry_id) == {
        "shop_payable": 1_001,
        "wallet_principal": -910,
        "wallet_incentive": 100 - 91,
        "incentive_budget": -100,
    }
    assert balances(citizen) == (49_090, 5_009)
    assert ledger_check().ok


def test_a_cashback_equal_to_the_incentive_part_leaves_no_incentive_posting(citizen, shop, budget):
    """The history still shows the part spent and the cashback, from the payment row."""
    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 100_000)  # principal 0, incentive 10,000 (the cashback)
    charge(citizen, 90_000)
    body = pay(citizen, shop, 1_000)  # 1,000 x 10,000 / 100,000 = 100 incentive; cashback 100
    assert (body["from_principal"], body["from_incentive"], body["cashback"]) == (900, 100, 100)
    payment = Payment.objects.get(pk=body["payment_id"])
    assert _postings_by_account_kind(payment.entry_id) == {
        "shop_payable": 1_000,
        "wallet_principal": -900,
        "incentive_budget": -100,
    }
    assert balances(citizen) == (89_100, 10_000)
    latest = [
        (m.kind, m.account_kind, m.amount)
        for m in wallet_history(user=citizen)
        if m.entry.pk == payment.entry_id
    ]
    assert latest == [
        ("payment", "wallet_incentive", -100),
        ("cashback", "wallet_incentive", 100),
        ("payment", "wallet_principal", -900),
    ]
    assert ledger_check().ok


def test_cashback_cap_is_hit_mid_payment(citizen, shop, budget):
    budget(10_000_000)
    charge(citizen, 500_000)
    pay(citizen, shop, 480_000)  # 48,000 cashback
    body = pay(citizen, shop, 30_000)  # 3,000 wanted, 2,000 left under the 50,000 cap
    assert body["cashback"] == 2_000
    assert pay(citizen, shop, 10_000)["cashback"] == 0
    usage = MonthlyUsage.objects.get(user=citizen)
    assert usage.cashback == 50_000


def test_cashback_stops_when_the_budget_runs_out(citizen, shop, budget):
    budget(1_500)
    charge(citizen, 100_000)
    assert pay(citizen, shop, 10_000)["cashback"] == 1_000
    assert pay(citizen, shop, 10_000)["cashback"] == 500  # only 500 left in the whole budget
    assert pay(citizen, shop, 10_000)["cashback"] == 0
    assert budget_left() == 0
    assert ledger_check().ok


def test_cashback_reaches_into_other_shards_when_the_citizens_shard_is_empty(citizen, shop, budget):
    budget(16 * 100)  # 100 won in each of 16 shards
    charge(citizen, 100_000)
    body = pay(citizen, shop, 5_000)  # wants 500: 100 from its shard, 400 from four others
    assert body["cashback"] == 500
    assert budget_left() == 1_100


def test_cashback_rate_by_shop_class_and_citizen_group(staff, citizen, budget):
    budget(1_000_000)
    policy_set(
        by=staff,
        effective_from=dt.date(2020, 6, 1),
        cashback_bp=1000,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=50_000,
        shop_class_cashback_bp={"over_3b": 0, "under_300m": 1200},
        citizen_group_bonus_bp={"low_income": 500},
    )
    small = ShopFactory(sales_bracket="under_300m")
    middle = ShopFactory(sales_bracket="under_1b")
    big = ShopFactory(sales_bracket="over_3b")
    charge(citizen, 300_000)
    assert pay(citizen, small, 10_000)["cashback"] == 1_200
    assert pay(citizen, middle, 10_000)["cashback"] == 1_000
    assert pay(citizen, big, 10_000)["cashback"] == 0
    Wallet.objects.filter(user=citizen).update(citizen_group="low_income")
    assert pay(citizen, small, 10_000)["cashback"] == 1_700
    assert pay(citizen, big, 10_000)["cashback"] == 0


def test_override_by_date_raises_cashback_in_january(staff, citizen, shop, budget):
    budget(10_000_000)
    policy_override_add(
        by=staff,
        starts_on=dt.date(2021, 1, 1),
        ends_on=dt.date(2021, 2, 28),
        monthly_charge_limit=1_000_000,
        cashback_bp=2000,
        monthly_cashback_cap=100_000,
    )
    with time_machine.travel(dt.datetime(2021, 1, 15, 12, tzinfo=dt.UTC)):
        charge(citizen, 1_000_000)  # the January limit
        assert pay(citizen, shop, 10_000)["cashback"] == 2_000
    with time_machine.travel(dt.datetime(2021, 3, 2, 12, tzinfo=dt.UTC)):
        assert pay(citizen, shop, 10_000)["cashback"] == 1_000


def test_an_override_moves_the_shop_classes_with_it_and_no_cashback_stays_none(
    staff, citizen, budget
):
    """10% with 12% below 300 million and none above 3 billion; 20% in January gives small
    shops 22% (they keep their 2 points more), other shops 20%, the largest still nothing."""
    budget(10_000_000)
    policy_set(
        by=staff,
        effective_from=dt.date(2020, 6, 1),
        cashback_bp=1000,
        monthly_charge_limit=1_000_000,
        monthly_cashback_cap=500_000,
        shop_class_cashback_bp={"over_3b": 0, "under_300m": 1200},
        citizen_group_bonus_bp={"low_income": 500},
    )
    policy_override_add(
        by=staff, starts_on=dt.date(2021, 1, 1), ends_on=dt.date(2021, 2, 28), cashback_bp=2000
    )
    small = ShopFactory(sales_bracket="under_300m")
    middle = ShopFactory(sales_bracket="under_1b")
    big = ShopFactory(sales_bracket="over_3b")
    with time_machine.travel(dt.datetime(2021, 1, 15, 12, tzinfo=dt.UTC)):
        charge(citizen, 300_000)
        assert pay(citizen, small, 10_001)["cashback"] == 2_200  # 2,200.22 rounded down
        assert pay(citizen, middle, 10_000)["cashback"] == 2_000
        assert pay(citizen, big, 10_000)["cashback"] == 0
        Wallet.objects.filter(user=citizen).update(citizen_group="low_income")
        assert pay(citizen, small, 10_000)["cashback"] == 2_700
        assert pay(citizen, big, 10_000)["cashback"] == 0
    with time_machine.travel(dt.datetime(2021, 3, 2, 12, tzinfo=dt.UTC)):
        assert pay(citizen, small, 10_000)["cashback"] == 1_700
        assert pay(citizen, middle, 10_000)["cashback"] == 1_500


def test_payment_over_the_balance_is_refused_and_moves_nothing(citizen, shop, budget):
    budget(1_000)
    charge(citizen, 10_000)
    with pytest.raises(InsufficientBalanceError) as exc:
        pay(citizen, shop, 10_001)
    assert "10,000" in exc.value.message
    assert balances(citizen) == (10_000, 0)
    assert not Payment.objects.exists()
    assert budget_left() == 1_000


@pytest.mark.parametrize("status", ["pending", "suspended", "closed"])
def test_payment_to_a_shop_that_is_not_approved_is_refused(citizen, budget, status):
    budget(1_000)
    charge(citizen, 10_000)
    shop = ShopFactory(status=status)
    with pytest.raises(ShopNotApprovedError):
        pay(citizen, shop, 1_000)
    assert balances(citizen) == (10_000, 0)


def test_a_retry_with_the_same_key_pays_once(citizen, shop, budget):
    budget(100_000)
    charge(citizen, 50_000)
    first = pay(citizen, shop, 5_000, key="same")
    again = pay(citizen, shop, 5_000, key="same")
    assert again == first
    assert Payment.objects.count() == 1
    assert balances(citizen) == (45_000, 500)


def test_no_policy_means_no_wallet(city):
    from vouchers.exceptions import PolicyMissingError
    from vouchers.models import Policy
    from vouchers.services import charge_create

    Policy.objects.all().delete()
    with pytest.raises(PolicyMissingError):
        charge_create(user=CitizenFactory(), amount=10_000)


def test_the_budget_is_funded_into_shards_that_sum_to_the_amount(staff):
    budget_fund(
        by=staff,
        name="x",
        starts_on=dt.date(2021, 1, 1),
        ends_on=dt.date(2021, 12, 31),
        amount=1_000_003,
        idempotency_key="odd",
    )
    shards = list(
        Account.objects.filter(kind="incentive_budget")
        .order_by("shard")
        .values_list("balance", flat=True)
    )
    assert len(shards) == 16
    assert sum(shards) == 1_000_003
    assert shards[0] == 62_503  # 1,000,003 / 16 = 62,500.1875: the first shard takes the rest
    assert set(shards[1:]) == {62_500}
