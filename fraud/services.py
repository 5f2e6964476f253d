"""Every change the fraud app makes: cases from the nightly findings, staff decisions (dismiss,
investigate, confirm) with what they move, and the city's thresholds.

What a decision does
--------------------
- investigate: every shop in the case has its settlement held (``shop_settlement_hold``: the
  nightly settlement skips it, it cannot pay other shops) and every citizen in it has their
  incentive held: the incentive balance moves to their budget shard in an ``adjustment`` entry
  (``IncentiveHold``), out of reach of payments and refunds;
- dismiss: the holds are released: each hold's entry is reversed (``entry_reverse``), each held
  shop released unless another case under investigation holds it;
- confirm: the holds are released as above, then the incentive the case's evidence earned is
  clawed back through the reversal path: each charge's incentive entry named in the evidence
  is reversed (``entry_reverse``), and the cashback of the case's payments is returned to the
  budget shard; what the citizen spent of it at the case's shop comes back from that shop's
  held payable (``_claw_back`` says exactly how; what can be found nowhere is recorded as not
  recovered); the subject shop is suspended (``shop_review``) and its settlement stays held.

Each decision is one transaction and one ``CaseDecision`` row whose ``effects`` name every
entry and shop it touched. Ledger keys are ``fraud:<what>:<case>:<id>``, so a retried decision
moves nothing twice.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.services import Leg, account_get_or_create, entry_post, entry_reverse
from merchants.models import Shop
from merchants.services import shop_review
from merchants.shop_payments import shop_settlement_hold
from vouchers.models import Charge, Payment
from vouchers.services.locks import wallet_lock

from .exceptions import CasePermissionError, CaseStateError, FraudError, ThresholdError
from .models import Case, CaseDecision, FraudSettings, IncentiveHold
from .rules import Finding, Thresholds

PERMISSION = "fraud.review_case"


def _require_staff(user: User) -> None:
    if not user.has_perm(PERMISSION):
        raise CasePermissionError()


# --- From the nightly step ------------------------------------------------------------------------


@dataclasses.dataclass
class CasesReport:
    opened: int = 0
    updated: int = 0
    unchanged: int = 0
    suppressed: int = 0


@transaction.atomic
def cases_record(*, findings: list[Finding], business_date: date, window_days: int) -> CasesReport:
    """Open a case for each finding whose subject has none active, or bring the active one up
    to date (its signals, score and parties). A subject whose case staff dismissed within the
    last ``window_days`` is not reopened unless it now scores higher (the same evidence is not
    put before staff twice). Idempotent: scoring the same date again changes nothing."""
    report = CasesReport()
    recent = business_date - timedelta(days=window_days)
    for finding in findings:
        lookup = (
            {"subject": "shop", "shop_id": finding.subject_id}
            if finding.subject == "shop"
            else {"subject": "citizen", "user_id": finding.subject_id}
        )
        signals = [s.as_dict() for s in finding.signals]
        values = {
            "score": finding.score,
            "signals": signals,
            "shops": sorted(finding.shops),
            "citizens": sorted(finding.citizens),
        }
        active = Case.objects.select_for_update().filter(**lookup, status__in=Case.ACTIVE).first()
        if active is not None:
            if all(getattr(active, k) == v for k, v in values.items()):
                report.unchanged += 1
                continue
            for key, value in values.items():
                setattr(active, key, value)
            active.last_date = max(active.last_date, business_date)
            active.save(update_fields=[*values, "last_date"])
            report.updated += 1
            continue
        dismissed = (
            Case.objects.filter(
                **lookup, status=Case.Status.DISMISSED, decided_at__date__gte=recent
            )
            .order_by("-decided_at")
            .first()
        )
        if dismissed is not None and finding.score <= dismissed.score:
            report.suppressed += 1
            continue
        Case.objects.create(**lookup, **values, first_date=business_date, last_date=business_date)
        report.opened += 1
    return report


# --- Staff decisions ------------------------------------------------------------------------------


def _shard_key(case: Case, what: str, thing: int) -> str:
    return f"fraud:{what}:{case.pk}:{thing}"


def _hold_incentive(case: Case, user_id: int) -> dict:
    """Move the citizen's whole incentive balance to their budget shard (locks the wallet set:
    principal, incentive and shard, in id order)."""
    existing = IncentiveHold.objects.filter(case=case, user_id=user_id).first()
    if existing is not None:
        return {"user": user_id, "held": existing.amount, "entry": existing.entry_id}
    held = wallet_lock(user_id=user_id, shard=True)
    amount = held.incentive
    entry = None
    if amount > 0:
        assert held.shard_id is not None
        entry = entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            legs=[Leg(held.incentive_id, -amount), Leg(held.shard_id, amount)],
            idempotency_key=_shard_key(case, "hold", user_id),
            memo=f"incentive held for case #{case.pk}",
        )
    IncentiveHold.objects.create(case=case, user_id=user_id, amount=amount, entry=entry)
    return {"user": user_id, "held": amount, "entry": entry.pk if entry else None}


def _release_holds(case: Case, by: User) -> list[dict]:
    released = []
    for hold in case.holds.filter(released_at__isnull=True).order_by("user_id"):
        reversal = None
        if hold.entry is not None:
            try:
                reversal = entry_reverse(
                    entry=hold.entry,
                    idempotency_key=_shard_key(case, "release", hold.user_id),
                    actor=by,
                    memo=f"incentive hold of case #{case.pk} released",
                )
            except InsufficientBalanceError as exc:
                raise FraudError(
                    _(
                        "The incentive budget has been spent down since the hold, so the held "
                        "incentive cannot be returned yet. Fund the budget, then decide again."
                    )
                ) from exc
        hold.released_entry = reversal
        hold.released_at = timezone.now()
        hold.save(update_fields=["released_entry", "released_at"])
        released.append(
            {
                "user": hold.user_id,
                "amount": hold.amount,
                "entry": reversal.pk if reversal else None,
            }
        )
    return released


def _release_shops(case: Case, by: User, *, keep: set[int]) -> list[int]:
    """Lift the settlement hold of the case's shops, except ``keep`` and shops that another
    case under investigation holds."""
    busy: set[int] = set()
    for shops in (
        Case.objects.filter(status=Case.Status.INVESTIGATING)
        .exclude(pk=case.pk)
        .values_list("shops", flat=True)
    ):
        busy |= set(shops)
    released = []
    for shop in Shop.objects.filter(pk__in=case.shops, settlement_held=True).order_by("pk"):
        if shop.pk in keep or shop.pk in busy:
            continue
        shop_settlement_hold(
            shop=shop,
            by=by,
            held=False,
            reason=_("Cash-out case #%(case)s closed.") % {"case": case.pk},
        )
        released.append(shop.pk)
    return released


def _evidence_charges(case: Case) -> set[int]:
    charges: set[int] = set()
    for signal in case.signals:
        evidence = signal.get("evidence") or {}
        if "charge" in evidence and signal.get("kind") == "fast_after_charge":
            charges.add(int(evidence["charge"]))
        charges |= {int(c) for c in evidence.get("charges", [])}
    return charges


def _claw_back(case: Case, user_id: int, by: User) -> dict:
    """Take back the incentive the case's evidence earned the citizen: the incentive of the
    evidence's charges and the cashback of the case's payments. What the citizen spent of it at
    the case's shop is taken from that shop's payable (held, so still there); the rest from the
    citizen's wallet, no more than it holds. A charge's incentive still whole in the wallet is
    taken back by reversing its entry (``entry_reverse``); anything else by an ``adjustment``
    entry to the citizen's budget shard. Returns what was recovered and what was not."""
    charges = list(
        Charge.objects.filter(pk__in=_evidence_charges(case), user_id=user_id, incentive__gt=0)
        .select_related("incentive_entry")
        .order_by("pk")
    )
    payments = Payment.objects.filter(
        pk__in=case.payment_ids, user_id=user_id, status=Payment.Status.COMPLETED
    )
    cashback = payments.aggregate(total=Sum("cashback"))["total"] or 0
    earned = sum(c.incentive for c in charges) + cashback
    result: dict = {"user": user_id, "earned": earned, "from_shop": 0, "from_wallet": 0}
    entries: list[int] = []
    if case.subject == Case.Subject.SHOP and case.shop_id is not None and earned:
        spent_here = (
            payments.filter(shop_id=case.shop_id).aggregate(total=Sum("from_incentive"))["total"]
            or 0
        )
        held = wallet_lock(user_id=user_id, shard=True, accounts=[_payable_id(case.shop_id)])
        payable = held.balances[_payable_id(case.shop_id)]
        take = max(0, min(spent_here, earned, payable))
        if take:
            assert held.shard_id is not None
            entries.append(
                entry_post(
                    kind=Entry.Kind.ADJUSTMENT,
                    legs=[Leg(_payable_id(case.shop_id), -take), Leg(held.shard_id, take)],
                    idempotency_key=_shard_key(case, "clawback-shop", user_id),
                    actor=by,
                    memo=f"incentive spent at the shop clawed back, case #{case.pk}",
                ).pk
            )
        result["from_shop"] = take
    left = earned - result["from_shop"]
    held = wallet_lock(user_id=user_id, shard=True)
    balance = held.incentive
    for charge in charges:
        if left <= 0:
            break
        if charge.incentive_entry is not None and charge.incentive <= min(balance, left):
            entries.append(
                entry_reverse(
                    entry=charge.incentive_entry,
                    idempotency_key=_shard_key(case, "clawback-charge", charge.pk),
                    actor=by,
                    memo=f"incentive clawed back, case #{case.pk}",
                ).pk
            )
            balance -= charge.incentive
            left -= charge.incentive
            result["from_wallet"] += charge.incentive
    take = max(0, min(left, balance))
    if take:
        assert held.shard_id is not None
        entries.append(
            entry_post(
                kind=Entry.Kind.ADJUSTMENT,
                legs=[Leg(held.incentive_id, -take), Leg(held.shard_id, take)],
                idempotency_key=_shard_key(case, "clawback-wallet", user_id),
                actor=by,
                memo=f"incentive clawed back, case #{case.pk}",
            ).pk
        )
        result["from_wallet"] += take
    result["not_recovered"] = earned - result["from_shop"] - result["from_wallet"]
    result["entries"] = entries
    return result


def _payable_id(shop_id: int | None) -> int:
    return account_get_or_create(kind=Account.Kind.SHOP_PAYABLE, shop=shop_id).pk


@transaction.atomic
def case_decide(*, case: Case, by: User, action: str, reason: str) -> CaseDecision:
    """Staff dismiss, investigate or confirm a case (``reason`` required); see the module's
    docstring for what each moves. Locks the case row, then each shop row and wallet set in
    turn. Raises ``CasePermissionError``, ``CaseStateError`` (a decided case, or investigating
    twice), ``FraudError``; a refusal changes nothing."""
    _require_staff(by)
    if action not in CaseDecision.Action.values:
        raise FraudError(_("Unknown decision."))
    reason = (reason or "").strip()
    if not reason:
        raise FraudError(_("Give a reason; it is kept with the decision."))
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.is_active:
        raise CaseStateError()
    if action == CaseDecision.Action.INVESTIGATE and case.status == Case.Status.INVESTIGATING:
        raise CaseStateError(_("This case is under investigation already."))
    effects: dict = {}
    note = _("Cash-out case #%(case)s: %(reason)s") % {"case": case.pk, "reason": reason}
    if action == CaseDecision.Action.INVESTIGATE:
        held_shops = []
        for shop in Shop.objects.filter(pk__in=case.shops).order_by("pk"):
            if not shop.settlement_held:
                shop_settlement_hold(shop=shop, by=by, held=True, reason=note)
                held_shops.append(shop.pk)
        effects["shops_held"] = held_shops
        effects["incentive_held"] = [_hold_incentive(case, uid) for uid in case.citizens]
        case.status = Case.Status.INVESTIGATING
    elif action == CaseDecision.Action.DISMISS:
        effects["incentive_released"] = _release_holds(case, by)
        effects["shops_released"] = _release_shops(case, by, keep=set())
        case.status = Case.Status.DISMISSED
        case.decided_at = timezone.now()
    else:
        effects["incentive_released"] = _release_holds(case, by)
        effects["clawed_back"] = [_claw_back(case, uid, by) for uid in case.citizens]
        keep: set[int] = set()
        if case.subject == Case.Subject.SHOP and case.shop_id is not None:
            shop = Shop.objects.get(pk=case.shop_id)
            keep.add(shop.pk)
            if shop.status == Shop.Status.APPROVED:
                shop_review(shop=shop, by=by, action="suspend", reason=note)
                effects["shop_suspended"] = shop.pk
            if not shop.settlement_held:
                shop_settlement_hold(shop=shop, by=by, held=True, reason=note)
        effects["shops_released"] = _release_shops(case, by, keep=keep)
        case.status = Case.Status.CONFIRMED
        case.decided_at = timezone.now()
    case.save(update_fields=["status", "decided_at"])
    return CaseDecision.objects.create(
        case=case, action=action, by=by, reason=reason, effects=effects
    )


# --- Thresholds -----------------------------------------------------------------------------------


@transaction.atomic
def thresholds_set(*, by: User, values: dict) -> FraudSettings:
    """Staff set the city's thresholds (a new row; the latest is in force). Only the names of
    ``Thresholds`` are kept; every value is a whole number of zero or more, hours 0-24."""
    _require_staff(by)
    names = {f.name for f in dataclasses.fields(Thresholds)}
    clean = {}
    for name, value in values.items():
        if name not in names:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ThresholdError()
        clean[name] = value
    for hour in ("off_hours_start", "off_hours_end"):
        if clean.get(hour, 0) > 24:
            raise ThresholdError(_("Hours are from 0 to 24."))
    if clean.get("window_days", 1) < 1 or clean.get("case_score", 1) < 1:
        raise ThresholdError(_("The window and the case score are at least 1."))
    return FraudSettings.objects.create(values=clean, changed_by=by)
