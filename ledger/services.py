"""The only code that writes to the ledger. Every other app moves money by calling this module.

``entry_post`` posts one balanced entry in one database call (``ledger_post`` in migration 0002):
it claims the idempotency key, locks the entry's accounts in id order, refuses an overdraft,
writes the postings, and triggers update the stored balances. It joins the caller's transaction
(services own their transactions); called outside one, it makes its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import (
    AccountNotFoundError,
    AlreadyReversedError,
    IdempotencyConflictError,
    InsufficientBalanceError,
    InvalidAmountError,
    LedgerError,
    UnbalancedEntryError,
)
from .models import Account, Entry, IdempotencyRecord
from .money import LEDGER_MAX_AMOUNT

logger = logging.getLogger(__name__)

T = TypeVar("T")

KEY_MAX_LENGTH = 200


@dataclass(frozen=True)
class Leg:
    """One side of an entry: ``amount`` won (signed) to the account ``account_id``."""

    account_id: int
    amount: int

    @classmethod
    def of(cls, account: Account | int, amount: int) -> Leg:
        return cls(account.pk if isinstance(account, Account) else int(account), amount)


def business_date_today() -> date:
    """Today in Asia/Seoul: the business date of anything posted now."""
    return timezone.localdate()


def fingerprint(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of ``parts``: what a retry must repeat exactly."""
    raw = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _validate_legs(legs: Sequence[Leg]) -> list[Leg]:
    if len(legs) < 2:
        raise UnbalancedEntryError(_("An entry needs at least two postings."))
    seen: set[int] = set()
    for leg in legs:
        if isinstance(leg.amount, bool) or not isinstance(leg.amount, int):
            raise InvalidAmountError(_("Amounts are whole won."))
        if leg.amount == 0 or abs(leg.amount) > LEDGER_MAX_AMOUNT:
            raise InvalidAmountError()
        if leg.account_id in seen:
            raise UnbalancedEntryError(_("An entry posts to each account once."))
        seen.add(leg.account_id)
    if sum(leg.amount for leg in legs) != 0:
        raise UnbalancedEntryError()
    return sorted(legs, key=lambda leg: leg.account_id)


def _pgcode(exc: BaseException) -> str | None:
    cause = exc.__cause__ or exc
    return getattr(cause, "pgcode", None)


def _pgdetail(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    diag = getattr(cause, "diag", None)
    return (getattr(diag, "message_detail", None) or "") if diag else ""


def entry_post(
    *,
    kind: str,
    legs: Sequence[Leg],
    idempotency_key: str,
    actor=None,
    device=None,
    memo: str = "",
    business_date: date | None = None,
    reverses: Entry | None = None,
) -> Entry:
    """Post one entry; return it. Idempotent on ``idempotency_key``.

    The same key with the same kind, legs and reversal returns the first entry and moves nothing
    (``entry.replayed`` is True); with different ones it raises ``IdempotencyConflictError``.
    A duplicate in flight waits for the first transaction and then replays it.

    Locks: the rows of the entry's accounts, ``FOR UPDATE`` in ascending id order.
    Raises: ``InvalidAmountError``, ``UnbalancedEntryError`` (before touching the database),
    ``InsufficientBalanceError`` (``extra["account_id"]``), ``AccountNotFoundError``,
    ``IdempotencyConflictError``, ``AlreadyReversedError``.
    """
    if kind not in Entry.Kind.values:
        raise LedgerError(_("Unknown entry kind."))
    if not idempotency_key or len(idempotency_key) > KEY_MAX_LENGTH:
        raise LedgerError(_("An idempotency key of 1 to 200 characters is required."))
    ordered = _validate_legs(legs)
    reverses_id = reverses.pk if reverses is not None else None
    fp = fingerprint(kind, [(leg.account_id, leg.amount) for leg in ordered], reverses_id)
    business_date = business_date or business_date_today()
    memo = (memo or "")[:200]
    actor_id = getattr(actor, "pk", actor) if actor is not None else None
    device_id = getattr(device, "pk", device) if device is not None else None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT ledger_post(%s, %s, %s, %s, %s, %s, %s, %s, %s::bigint[], %s::bigint[])",
                [
                    kind,
                    idempotency_key,
                    fp,
                    business_date,
                    actor_id,
                    device_id,
                    memo,
                    reverses_id,
                    [leg.account_id for leg in ordered],
                    [leg.amount for leg in ordered],
                ],
            )
            (result,) = cursor.fetchone()
    except DatabaseError as exc:
        raise _translate_error(exc) from exc
    entry = Entry(
        id=abs(result),
        kind=kind,
        business_date=business_date,
        actor_id=actor_id,
        device_id=device_id,
        memo=memo,
        reverses_id=reverses_id,
        idempotency_key=idempotency_key,
        fingerprint=fp,
    )
    entry._state.adding = False
    entry.replayed = result < 0
    if entry.replayed:
        # The replayed entry's own fields (date, memo) are the first call's, not this one's.
        entry = Entry.objects.get(pk=entry.pk)
        entry.replayed = True
    return entry


def _translate_error(exc: DatabaseError) -> Exception:
    code = _pgcode(exc)
    if code == "JP001":
        detail = _pgdetail(exc)
        return InsufficientBalanceError(account_id=int(detail) if detail.isdigit() else None)
    if code == "JP002":
        return IdempotencyConflictError()
    if code == "JP003":
        return AccountNotFoundError()
    if code == "JP004":
        return UnbalancedEntryError()
    if code == "23505" and "reverses" in str(exc):
        return AlreadyReversedError()
    return exc


def entry_reverse(
    *, entry: Entry, idempotency_key: str, actor=None, memo: str = "", business_date=None
) -> Entry:
    """Post the mirror image of ``entry`` (kind ``reversal``). An entry is reversed at most once
    (a unique constraint); a reversal can overdraw nothing either."""
    postings = list(entry.postings.values_list("account_id", "amount"))
    if not postings:
        raise LedgerError(_("The entry has no postings."))
    if entry.kind == Entry.Kind.REVERSAL:
        raise LedgerError(_("A reversal is not reversed; post a new entry instead."))
    return entry_post(
        kind=Entry.Kind.REVERSAL,
        legs=[Leg(account_id, -amount) for account_id, amount in postings],
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo or f"reversal of #{entry.pk}",
        business_date=business_date,
        reverses=entry,
    )


# --- Accounts ------------------------------------------------------------------------------------


def account_get_or_create(*, kind: str, user=None, shop=None, shard: int = 0) -> Account:
    """The account of ``kind`` for its owner, created on first use (race-safe)."""
    if kind not in Account.Kind.values:
        raise LedgerError(_("Unknown account kind."))
    lookup = {
        "kind": kind,
        "owner_user_id": getattr(user, "pk", user),
        "owner_shop_id": getattr(shop, "pk", shop),
        "shard": shard,
    }
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup, may_go_negative=kind in Account.NEGATIVE_KINDS)
    except IntegrityError:
        return Account.objects.get(**lookup)


def system_account(kind: str) -> Account:
    if kind not in Account.SYSTEM_KINDS or kind == Account.Kind.INCENTIVE_BUDGET:
        raise LedgerError(_("Not a single system account."))
    return account_get_or_create(kind=kind)


def accounts_for_user(user, kinds: Iterable[str]) -> dict[str, Account]:
    return {kind: account_get_or_create(kind=kind, user=user) for kind in kinds}


# --- Idempotent operations ---------------------------------------------------------------------


@dataclass
class IdempotentResult:
    status_code: int
    body: dict
    replayed: bool


def idempotent(
    *, scope: str, key: str, request_fingerprint: str, operation: Callable[[], tuple[int, dict]]
) -> IdempotentResult:
    """Run ``operation`` once per ``(scope, key)``; replay its stored answer for every retry.

    ``operation`` runs inside this function's transaction and returns ``(status, body)``; the
    answer is stored in the same transaction as its postings. A domain error raised by the
    operation rolls everything back and stores nothing, so a corrected retry with the same key
    may succeed. The same key with another fingerprint raises ``IdempotencyConflictError``.
    Transient serialization failures and deadlocks are retried (``with_retries``).
    """

    def attempt() -> IdempotentResult:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Blocks on the unique index while another transaction holds the same key.
                cursor.execute(
                    "INSERT INTO ledger_idempotencyrecord "
                    "(scope, key, fingerprint, status_code, response, created_at) "
                    "VALUES (%s, %s, %s, 0, '{}'::jsonb, now()) "
                    "ON CONFLICT (scope, key) DO NOTHING RETURNING id",
                    [scope, key, request_fingerprint],
                )
                row = cursor.fetchone()
            if row is None:
                existing = IdempotencyRecord.objects.get(scope=scope, key=key)
                if existing.fingerprint != request_fingerprint:
                    raise IdempotencyConflictError()
                return IdempotentResult(existing.status_code, existing.response, True)
            status_code, body = operation()
            IdempotencyRecord.objects.filter(pk=row[0]).update(
                status_code=status_code, response=body
            )
            return IdempotentResult(status_code, body, False)

    return with_retries(attempt)


RETRYABLE_PGCODES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def with_retries(func: Callable[[], T], *, attempts: int = 4) -> T:
    """Run ``func`` (which owns its transaction) again after a serialization failure or a
    deadlock, up to ``attempts`` times with jittered backoff. Other errors pass through."""
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except OperationalError as exc:
            if _pgcode(exc) not in RETRYABLE_PGCODES or attempt == attempts:
                raise
            if connection.in_atomic_block:
                raise  # the outer transaction is aborted; only its owner may retry
            delay = (2 ** (attempt - 1)) * 0.01 * (1 + random.random())  # noqa: S311
            logger.info("retrying after %s (attempt %s)", _pgcode(exc), attempt)
            time.sleep(delay)
    raise AssertionError("unreachable")
