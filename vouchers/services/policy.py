"""The city's wallet policy (versions and dated overrides) and the incentive budget: funding,
evening out its shards, and drawing from it.

The incentive budget is split into ``INCENTIVE_BUDGET_SHARDS`` ledger accounts and a citizen
draws from the shard of their id, so grants to different citizens do not queue on one row; only
a shard running dry makes a grant reach into others. The database refuses any shard below zero,
so the budget is never overspent.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from ledger.models import Account, Entry
from ledger.money import parse_amount, split
from ledger.services import (
    Leg,
    account_get_or_create,
    account_ids_get_or_create,
    accounts_lock,
    business_date_today,
    entry_post,
    retried,
)
from merchants.models import SalesBracket

from ..exceptions import WalletError
from ..models import CitizenGroup, IncentiveBudget, Policy, PolicyOverride
from ..rules import RATE_MAX_BP, rules_cache_clear
from .common import shard_count


def _require_policy_perm(by: User | None) -> None:
    if by is not None and not by.has_perm("vouchers.change_policy"):
        raise WalletError(_("Only city staff change the wallet policy."), code="forbidden")


def _rate_check(value, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= RATE_MAX_BP:
        raise WalletError(_("Rates are between 0 and 5000 basis points (50%)."))


def _amount_check(value, *, minimum: int, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= 10**13:
        raise WalletError(_("Limits and caps are whole won, from %(min)s.") % {"min": minimum})


def _policy_check(fields: dict) -> None:
    """What a policy may say, before it is saved (the database checks the two base rates too)."""
    _rate_check(fields.get("charge_incentive_bp", 0))
    _rate_check(fields.get("cashback_bp", 0))
    _amount_check(fields.get("monthly_charge_limit"), minimum=1, allow_none=False)
    _amount_check(fields.get("monthly_cashback_cap"), minimum=0, allow_none=False)
    for name in ("annual_charge_limit", "holding_limit"):
        _amount_check(fields.get(name), minimum=1, allow_none=True)
    _amount_check(fields.get("monthly_incentive_cap"), minimum=0, allow_none=True)
    daily = fields.get("gift_daily_cap", 300_000)
    monthly = fields.get("gift_monthly_cap", 500_000)
    _amount_check(daily, minimum=0, allow_none=False)
    _amount_check(monthly, minimum=0, allow_none=False)
    if monthly < daily:
        raise WalletError(_("The monthly gift cap is at least the daily one."))
    tables = (
        ("shop_class_cashback_bp", SalesBracket.values),
        ("citizen_group_bonus_bp", CitizenGroup.values),
    )
    for name, keys in tables:
        table = fields.get(name) or {}
        if not isinstance(table, dict) or not set(table) <= set(keys):
            raise WalletError(_("Rates by shop class or citizen group name an unknown class."))
        for value in table.values():
            _rate_check(value)
    classes = fields.get("shop_class_cashback_bp") or {}
    bonus = max((fields.get("citizen_group_bonus_bp") or {}).values(), default=0)
    highest = max(
        [fields.get("cashback_bp", 0), fields.get("charge_incentive_bp", 0), *classes.values()]
    )
    if highest + bonus > RATE_MAX_BP:
        raise WalletError(
            _("With the largest citizen-group bonus a rate would pass 5000 basis points (50%).")
        )


@transaction.atomic
def policy_set(*, by: User | None, effective_from: date, **fields) -> Policy:
    """A new version of the city's wallet rules from ``effective_from`` (rows are never edited).
    Raises ``WalletError`` for a rate outside 0-5000 basis points (also with the largest group
    bonus on top), a class or group that does not exist, or a limit that is not whole won."""
    _require_policy_perm(by)
    _policy_check(fields)
    policy = Policy.objects.create(effective_from=effective_from, created_by=by, **fields)
    rules_cache_clear()
    transaction.on_commit(rules_cache_clear)
    return policy


@transaction.atomic
def policy_override_add(
    *, by: User | None, starts_on: date, ends_on: date, **fields
) -> PolicyOverride:
    _require_policy_perm(by)
    if ends_on < starts_on:
        raise WalletError(_("The override ends before it starts."))
    changes = {name: value for name, value in fields.items() if name != "note"}
    if not any(value is not None for value in changes.values()):
        raise WalletError(_("An override changes at least one rule."))
    for name in ("charge_incentive_bp", "cashback_bp"):
        _rate_check(changes.get(name), allow_none=True)
    _amount_check(changes.get("monthly_charge_limit"), minimum=1, allow_none=True)
    _amount_check(changes.get("monthly_cashback_cap"), minimum=0, allow_none=True)
    override = PolicyOverride.objects.create(
        starts_on=starts_on, ends_on=ends_on, created_by=by, **fields
    )
    rules_cache_clear()
    transaction.on_commit(rules_cache_clear)
    return override


@transaction.atomic
def policy_override_withdraw(*, by: User, override: PolicyOverride) -> PolicyOverride:
    """Withdraw an override that has not begun. One that has begun decided the rules of its past
    days, and withdrawing it would rewrite them (withdrawal covers the whole range)."""
    _require_policy_perm(by)
    override = PolicyOverride.objects.select_for_update().get(pk=override.pk)
    if override.withdrawn_at is not None:
        raise WalletError(_("That override does not exist or was already withdrawn."))
    if override.starts_on <= business_date_today():
        raise WalletError(
            _(
                "An override that has begun stays on record. To change the rules from today on,"
                " add an override from today, or a new version."
            )
        )
    override.withdrawn_at = timezone.now()
    override.withdrawn_by = by
    override.save(update_fields=["withdrawn_at", "withdrawn_by"])
    rules_cache_clear()
    transaction.on_commit(rules_cache_clear)
    return override


def budget_shard_ids() -> list[int]:
    specs = [(Account.Kind.INCENTIVE_BUDGET, None, None, n) for n in range(shard_count())]
    return account_ids_get_or_create(specs)


@retried
def budget_fund(
    *,
    by: User | None,
    name: str,
    starts_on: date,
    ends_on: date,
    amount: int,
    idempotency_key: str,
    business_date: date | None = None,
) -> IncentiveBudget:
    """Put city money into the incentive budget for a period, split evenly over the shards.
    ``business_date``: the day it is booked on (today unless given: the demo books its budget
    before the dashboard's history so that the history's cashback is paid from it)."""
    _require_policy_perm(by)
    amount = parse_amount(amount, maximum=10**13)
    if ends_on < starts_on:
        raise WalletError(_("The budget period ends before it starts."))
    shards = budget_shard_ids()
    parts = split(amount, [1] * len(shards))
    world = account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD)
    with transaction.atomic():
        entry = entry_post(
            kind=Entry.Kind.FUNDING,
            legs=[Leg(world.pk, -amount)]
            + [Leg(s, p) for s, p in zip(shards, parts, strict=True) if p],
            idempotency_key=f"budget:{idempotency_key}",
            actor=by,
            memo=name[:200],
            business_date=business_date,
        )
        budget, _created = IncentiveBudget.objects.get_or_create(
            entry=entry,
            defaults={
                "name": name,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "amount": amount,
                "created_by": by,
            },
        )
    return budget


@retried
def budget_rebalance(*, idempotency_key: str) -> Entry | None:
    """Even out the shards (so that no citizen's shard runs dry while others hold money).
    Locks every shard, in id order."""
    shards = budget_shard_ids()
    with transaction.atomic():
        balances = accounts_lock(shards)
        total = sum(balances.values())
        target = split(total, [1] * len(shards))
        legs = [
            Leg(s, t - balances[s]) for s, t in zip(shards, target, strict=True) if t != balances[s]
        ]
        if len(legs) < 2:
            return None
        return entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            legs=legs,
            idempotency_key=f"rebalance:{idempotency_key}",
            memo="incentive budget shards evened out",
        )


def budget_draw(
    *, user_id: int, want: int, primary_shard: int, locked: dict[int, int]
) -> list[Leg]:
    """Legs that take up to ``want`` won out of the budget: the citizen's own shard first
    (``primary_shard``, already locked by the caller, holding ``locked[primary_shard]``), then
    other shards nobody holds. The rule lives in SQL (``ledger_budget_draw()``, the same call
    ``wallet_pay()`` makes for cashback)."""
    if want <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT accounts, amounts FROM ledger_budget_draw(%s, %s, %s, %s)",
            [user_id, primary_shard, locked.get(primary_shard, 0), want],
        )
        accounts, amounts = cursor.fetchone()
    return [
        Leg(account_id, int(amount)) for account_id, amount in zip(accounts, amounts, strict=True)
    ]
