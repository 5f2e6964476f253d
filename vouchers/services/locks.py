"""The lock sets of the wallet's money paths: one function per set, each taking its locks in the
one order every money path keeps (Saleor's ``lock_objects.py`` shape).

The order, whenever a transaction takes several locks:

1. the rows the operation is about (a charge, a payment, a refund, a pledge), by id;
2. a citizen's prepaid accounts at a shop (``campaigns.locks``; a pledge or a redemption);
3. the citizen's ``MonthlyUsage`` row of the month;
4. every ledger account the entry will post to, in ascending id, in one statement.

The SQL money functions keep it too: ``wallet_pay()`` locks the usage row, then
``ledger_wallet_accounts_lock()``; ``prepaid_redeem()`` its pledges, then
``ledger_prepaid_accounts_lock()``, then calls ``wallet_pay()``. ``ledger_post()`` locks the
entry's accounts again in id order, at no cost when they are held. A path that needs one more
account later (the budget draw falling back to other shards) may still meet a deadlock, which
PostgreSQL detects; every money path runs under ``with_retries``, which tries it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from ledger.models import Account
from ledger.services import AccountSpec, account_ids_get_or_create, accounts_lock

from ..models import MonthlyUsage
from ..rules import Rules
from .common import shard_of
from .usage import usage_lock


@dataclass(frozen=True)
class WalletLocked:
    """What ``wallet_lock`` holds: the usage row (when a month was named), the citizen's
    principal and incentive accounts, the budget shard (when asked), and the balances of
    every account locked."""

    usage: MonthlyUsage | None
    principal_id: int
    incentive_id: int
    shard_id: int | None
    balances: dict[int, int] = field(default_factory=dict)

    @property
    def principal(self) -> int:
        return self.balances[self.principal_id]

    @property
    def incentive(self) -> int:
        return self.balances[self.incentive_id]


def wallet_lock(
    *,
    user_id: int,
    month: date | None = None,
    rules: Rules | None = None,
    shard: bool = False,
    accounts: Iterable[int] = (),
) -> WalletLocked:
    """Lock a wallet path's set: the citizen's usage row of ``month`` (created when missing,
    with its carry-over under ``rules``), then in one statement and id order the citizen's
    principal and incentive, the citizen's budget shard when ``shard``, and ``accounts`` (the
    other accounts the entry posts to: a clearing account, the float, another shard).
    Must run inside the caller's transaction, after the caller's own rows."""
    usage = None
    if month is not None:
        if rules is None:
            raise ValueError("wallet_lock needs the rules to create a month's usage row")
        usage = usage_lock(user_id=user_id, month=month, rules=rules)
    specs: list[AccountSpec] = [
        (Account.Kind.WALLET_PRINCIPAL, user_id, None, 0),
        (Account.Kind.WALLET_INCENTIVE, user_id, None, 0),
    ]
    if shard:
        specs.append((Account.Kind.INCENTIVE_BUDGET, None, None, shard_of(user_id)))
    ids = account_ids_get_or_create(specs)
    balances = accounts_lock([*ids, *accounts])
    return WalletLocked(
        usage=usage,
        principal_id=ids[0],
        incentive_id=ids[1],
        shard_id=ids[2] if shard else None,
        balances=balances,
    )
