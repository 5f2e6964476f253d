"""Reads of wallets shared by the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from ledger.models import Account, Entry, Posting
from ledger.selectors import citizen_balances
from ledger.services import business_date_today

from .exceptions import PolicyMissingError
from .models import (
    Charge,
    IncentiveBudget,
    MonthlyUsage,
    Payment,
    Policy,
    PolicyOverride,
    Wallet,
)
from .rules import Rules, carried_in_for, charge_headroom, rules_on


@dataclass(frozen=True)
class MonthFigures:
    month: date
    charged: int
    charge_limit: int
    charge_remaining: int
    carried_in: int
    incentive: int
    cashback: int
    cashback_cap: int


@dataclass(frozen=True)
class WalletSummary:
    principal: int
    incentive: int
    month: MonthFigures | None
    rules: Rules | None
    pin_set: bool
    grant: int = 0  # grant programmes' balances (spent first where a programme allows)

    @property
    def balance(self) -> int:
        return self.principal + self.incentive + self.grant

    def as_dict(self) -> dict:
        month = self.month
        return {
            "balance": self.balance,
            "principal": self.principal,
            "incentive": self.incentive,
            "grant": self.grant,
            "month": None
            if month is None
            else {
                "month": month.month.strftime("%Y-%m"),
                "charged": month.charged,
                "charge_limit": month.charge_limit,
                "charge_remaining": month.charge_remaining,
                "carried_in": month.carried_in,
                "incentive": month.incentive,
                "cashback": month.cashback,
                "cashback_cap": month.cashback_cap,
            },
            "rates": None
            if self.rules is None
            else {
                "cashback_bp": self.rules.cashback_bp,
                "charge_incentive_bp": self.rules.charge_incentive_bp,
            },
            "pin_set": self.pin_set,
        }


def wallet_summary(*, user, today: date | None = None) -> WalletSummary:
    today = today or business_date_today()
    balances = citizen_balances(user_id=user.pk)
    try:
        rules = rules_on(today)
    except PolicyMissingError:
        rules = None
    month = None
    if rules is not None:
        first = today.replace(day=1)
        usage = MonthlyUsage.objects.filter(user=user, month=first).first()
        charged = usage.charged if usage else 0
        # No row yet this month: what its first charge will carry in (usage_lock's figure).
        carried = (
            usage.carried_in if usage else carried_in_for(user_id=user.pk, month=first, rules=rules)
        )
        month = MonthFigures(
            month=first,
            charged=charged,
            charge_limit=rules.monthly_charge_limit + carried,
            charge_remaining=charge_headroom(
                limit=rules.monthly_charge_limit, carried_in=carried, charged=charged
            ),
            carried_in=carried,
            incentive=usage.incentive if usage else 0,
            cashback=usage.cashback if usage else 0,
            cashback_cap=rules.monthly_cashback_cap,
        )
    wallet = Wallet.objects.filter(user=user).only("pin_hash").first()
    return WalletSummary(
        principal=balances.principal,
        incentive=balances.incentive,
        grant=balances.grant,
        month=month,
        rules=rules,
        pin_set=bool(wallet and wallet.pin_hash),
    )


@dataclass(frozen=True)
class Movement:
    """One line of a wallet's history: a posting, or one of the two parts of a payment's
    posting on the incentive balance (the part spent, the cashback credited). ``detail`` is what
    the citizen recognises it by (the shop), never a ledger memo or an order id."""

    entry: Entry
    account_kind: str
    amount: int
    kind: str
    detail: str = ""

    @property
    def kind_label(self) -> str:
        # A reversal is, for the citizen, a cancellation of what it reverses.
        if self.kind == Entry.Kind.REVERSAL:
            return str(Entry.Kind.CANCELLATION.label)
        return str(Entry.Kind(self.kind).label)

    @property
    def part_label(self) -> str:
        """Which part of the wallet moved: the charged money or the incentive and cashback."""
        if self.account_kind == Account.Kind.WALLET_PRINCIPAL:
            return gettext("Charged money")
        return gettext("Incentive and cashback")

    @property
    def business_date(self) -> date:
        return self.entry.business_date


def _payments_by_entry(entries: list[Entry]) -> dict[int, Payment]:
    """The payment behind each entry (its own, its old-style cashback entry, or the one a
    cancellation reverses), for the shop's name and whether it paid for a pledge."""
    ids = {e.pk for e in entries} | {e.reverses_id for e in entries if e.reverses_id}
    found: dict[int, Payment] = {}
    payments = Payment.objects.filter(Q(entry_id__in=ids) | Q(cashback_entry_id__in=ids)).only(
        "entry_id", "cashback_entry_id", "method", "shop__name"
    )
    for payment in payments.select_related("shop"):
        found[payment.entry_id] = payment
        if payment.cashback_entry_id:
            found[payment.cashback_entry_id] = payment
    for entry in entries:
        if entry.reverses_id in found:
            found.setdefault(entry.pk, found[entry.reverses_id])
    return found


def wallet_history(*, user, limit: int = 50) -> list[Movement]:
    """Every movement of the citizen's wallet (principal and incentive), newest first.

    Since vouchers migration 0004 a payment's entry holds one posting on the incentive balance:
    the cashback less the incentive part spent. Its payment row has both, so the history shows
    them as two lines again: the part spent (a payment) and the cashback. A payment that paid
    for a pledge is shown as the pledge; the shop is each payment's detail."""
    postings = list(
        Posting.objects.filter(
            account__owner_user=user,
            account__kind__in=[Account.Kind.WALLET_PRINCIPAL, Account.Kind.WALLET_INCENTIVE],
        )
        .select_related("entry", "account")
        .order_by("-entry_id", "account__kind")[:limit]
    )
    payment_entries = {p.entry_id for p in postings if p.entry.kind == Entry.Kind.PAYMENT}
    parts = {
        entry_id: (from_incentive, cashback)
        for entry_id, from_incentive, cashback in Payment.objects.filter(
            entry_id__in=payment_entries, cashback_entry__isnull=True, cashback__gt=0
        ).values_list("entry_id", "from_incentive", "cashback")
    }
    payments = _payments_by_entry(list({p.entry_id: p.entry for p in postings}.values()))

    def line(entry, account_kind, amount, kind) -> Movement:
        payment = payments.get(entry.pk)
        if payment is None:
            return Movement(entry, account_kind, amount, kind)
        if kind == Entry.Kind.PAYMENT and payment.method == Payment.Method.PLEDGE:
            kind = Entry.Kind.PLEDGE
        return Movement(entry, account_kind, amount, kind, payment.shop.name)

    movements = []
    for entry_id, grouped in groupby(postings, key=lambda p: p.entry_id):
        group = list(grouped)
        entry = group[0].entry
        if entry_id not in parts:
            movements += [line(entry, p.account.kind, p.amount, entry.kind) for p in group]
            continue
        # The incentive posting (absent when the cashback equals the part spent) as two lines.
        spent, cashback = parts[entry_id]
        incentive = Account.Kind.WALLET_INCENTIVE
        if spent:
            movements.append(line(entry, incentive, -spent, Entry.Kind.PAYMENT))
        movements.append(line(entry, incentive, cashback, Entry.Kind.CASHBACK))
        movements += [
            line(entry, p.account.kind, p.amount, entry.kind)
            for p in group
            if p.account.kind != incentive
        ]
    return movements[:limit]


def charges_of_user(*, user, limit: int = 20) -> QuerySet[Charge]:
    return Charge.objects.filter(user=user).order_by("-created_at")[:limit]


def payments_of_user(*, user, limit: int = 20) -> QuerySet[Payment]:
    return Payment.objects.filter(user=user).select_related("shop").order_by("-created_at")[:limit]


@dataclass(frozen=True)
class PolicyOverview:
    """What the staff's wallet-policy page shows."""

    today: date
    rules: Rules | None  # in force today (None: no policy yet)
    current: Policy | None  # the latest version effective by today
    versions: list[Policy]  # every version, the latest first, future ones included
    overrides: list[PolicyOverride]
    budgets: list[IncentiveBudget]
    budget_funded: int
    budget_remaining: int


def policy_overview(*, today: date | None = None) -> PolicyOverview:
    from .caps import budget_remaining

    today = today or business_date_today()
    try:
        rules = rules_on(today)
    except PolicyMissingError:
        rules = None
    versions = list(
        Policy.objects.select_related("created_by").order_by("-effective_from", "-id")[:100]
    )
    current = next((p for p in versions if p.effective_from <= today), None)
    budgets = list(
        IncentiveBudget.objects.select_related("created_by").order_by("-starts_on", "-id")
    )
    return PolicyOverview(
        today=today,
        rules=rules,
        current=current,
        versions=versions,
        overrides=list(
            PolicyOverride.objects.select_related("created_by", "withdrawn_by").order_by(
                "-starts_on", "-id"
            )[:100]
        ),
        budgets=budgets,
        budget_funded=sum(b.amount for b in budgets),
        budget_remaining=budget_remaining(),
    )


@dataclass(frozen=True)
class ProviderBooks:
    """The payment providers' side for the operations page: the latest reconciliation of each,
    what staff must still settle, and the calls still on their way to a provider."""

    reconciliations: list
    open_discrepancies: list
    pending_calls: int
    overdue_calls: int


def provider_books(*, limit: int = 50) -> ProviderBooks:
    from datetime import timedelta

    from django.utils import timezone

    from .models import ProviderCall, ProviderDiscrepancy, ProviderReconciliation

    latest: dict[str, ProviderReconciliation] = {}
    for rec in ProviderReconciliation.objects.order_by("-business_date", "provider")[:20]:
        latest.setdefault(rec.provider, rec)
    pending = ProviderCall.objects.filter(status=ProviderCall.Status.PENDING)
    return ProviderBooks(
        reconciliations=list(latest.values()),
        open_discrepancies=list(
            ProviderDiscrepancy.objects.filter(resolved_at__isnull=True).select_related("charge")[
                :limit
            ]
        ),
        pending_calls=pending.count(),
        overdue_calls=pending.filter(created_at__lt=timezone.now() - timedelta(hours=1)).count(),
    )


def payment_totals_on(day: date) -> tuple[int, int]:
    """``(payments, won)`` of wallet payments with business date ``day`` (cancelled ones
    included: a cancellation adds a reversal, it removes no payment). One index range on
    ``(business_date, shop)``."""
    from django.db.models import Count, Sum

    totals = Payment.objects.filter(business_date=day).aggregate(n=Count("id"), won=Sum("amount"))
    return int(totals["n"] or 0), int(totals["won"] or 0)


@dataclass(frozen=True)
class CodeOutcome:
    """The payment that spent the citizen's latest code, as the code screen shows it."""

    shop_name: str
    used_at: datetime
    from_wallet: int  # the wallet part of the bill (0: all from the prepaid balance)
    wallet_balance: int
    prepaid_balance: int  # left at that shop


def code_outcome(*, user) -> CodeOutcome | None:
    """What became of the citizen's latest payment code: None while it is unused (the code
    screen asks every few seconds: one indexed look-up, ``(user, -created_at)``), else the
    payment that spent it and the balances after it."""
    from merchants.models import PaymentCode

    code = (
        PaymentCode.objects.filter(user=user)
        .order_by("-created_at")
        .values("used_at", "used_at_shop_id", "used_at_shop__name")
        .first()
    )
    if code is None or code["used_at"] is None:
        return None
    shop_id = code["used_at_shop_id"]
    # The wallet part of the bill was written in the transaction that spent the code, at the
    # same ``now()``.
    wallet_part = (
        Payment.objects.filter(
            user=user,
            shop_id=shop_id,
            created_at__gte=code["used_at"],
            method=Payment.Method.CUSTOMER_CODE,
        )
        .order_by("-created_at")
        .values_list("amount", flat=True)
        .first()
    )
    balances = citizen_balances(user_id=user.pk, shop_id=shop_id)
    return CodeOutcome(
        shop_name=code["used_at_shop__name"] or "",
        used_at=code["used_at"],
        from_wallet=int(wallet_part or 0),
        wallet_balance=balances.wallet,
        prepaid_balance=balances.prepaid,
    )
