"""The only code that writes to the ledger. Every other app moves money by calling this module.

``entry_post`` posts one balanced entry in one database call (``ledger_post`` in migration 0002):
it claims the idempotency key, locks the entry's accounts in id order, refuses an overdraft,
writes the postings, and triggers update the stored balances. It joins the caller's transaction
(services own their transactions); called outside one, it makes its own.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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


@dataclass(frozen=True)
class EntrySpec:
    """One entry to post: what ``entry_post`` takes, as a value (see ``entries_post``)."""

    kind: str
    legs: Sequence[Leg]
    idempotency_key: str
    actor: Any = None
    device: Any = None
    memo: str = ""
    business_date: date | None = None
    reverses: Entry | None = None


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
    savepoint: bool = True,
) -> Entry:
    """Post one entry; return it. Idempotent on ``idempotency_key``.

    The same key with the same kind, legs and reversal returns the first entry and moves nothing
    (``entry.replayed`` is True); with different ones it raises ``IdempotencyConflictError``.
    A duplicate in flight waits for the first transaction and then replays it.

    Locks: the rows of the entry's accounts, ``FOR UPDATE`` in ascending id order.
    Raises: ``InvalidAmountError``, ``UnbalancedEntryError`` (before touching the database),
    ``InsufficientBalanceError`` (``extra["account_id"]``), ``AccountNotFoundError``,
    ``IdempotencyConflictError``, ``AlreadyReversedError``. Inside a caller's transaction a
    refusal rolls back to a savepoint, so the caller may go on; ``savepoint=False`` saves two
    round trips when any refusal ends the caller's transaction anyway.
    """
    spec = EntrySpec(kind, legs, idempotency_key, actor, device, memo, business_date, reverses)
    return entries_post([spec], savepoint=savepoint)[0]


def entries_post(specs: Sequence[EntrySpec], *, savepoint: bool = True) -> list[Entry]:
    """Post several entries in one database round trip (one ``SELECT ledger_post(...), ...``),
    in order, all or none. Same contract per entry as ``entry_post``."""
    calls, params, prepared = [], [], []
    for spec in specs:
        if spec.kind not in Entry.Kind.values:
            raise LedgerError(_("Unknown entry kind."))
        if not spec.idempotency_key or len(spec.idempotency_key) > KEY_MAX_LENGTH:
            raise LedgerError(_("An idempotency key of 1 to 200 characters is required."))
        ordered = _validate_legs(spec.legs)
        reverses_id = spec.reverses.pk if spec.reverses is not None else None
        business_date = spec.business_date or business_date_today()
        memo = (spec.memo or "")[:200]
        actor_id = getattr(spec.actor, "pk", spec.actor) if spec.actor is not None else None
        device_id = getattr(spec.device, "pk", spec.device) if spec.device is not None else None
        # ledger_post() computes the entry's fingerprint itself (ledger_fingerprint).
        calls.append("ledger_post(%s, %s, %s, %s, %s, %s, %s, %s::bigint[], %s::bigint[])")
        params += [
            spec.kind,
            spec.idempotency_key,
            business_date,
            actor_id,
            device_id,
            memo,
            reverses_id,
            [leg.account_id for leg in ordered],
            [leg.amount for leg in ordered],
        ]
        prepared.append((spec, business_date, memo, actor_id, device_id, reverses_id))
    if not calls:
        return []
    try:
        with transaction.atomic(savepoint=savepoint), connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(calls), params)
            results = cursor.fetchone()
    except DatabaseError as exc:
        error = translate_db_error(exc)
        if error is exc:
            raise  # as it came, with its cause: with_retries reads the SQLSTATE there
        raise error from exc
    entries = []
    for result, (spec, business_date, memo, actor_id, device_id, reverses_id) in zip(
        results, prepared, strict=True
    ):
        if result < 0:
            # A replay: the entry's own fields (date, memo) are the first call's, not this one's.
            entry = Entry.objects.get(pk=-result)
            entry.replayed = True
        else:
            entry = Entry(
                id=result,
                kind=spec.kind,
                business_date=business_date,
                actor_id=actor_id,
                device_id=device_id,
                memo=memo,
                reverses_id=reverses_id,
                idempotency_key=spec.idempotency_key,
            )
            entry._state.adding = False
            entry.replayed = False
        entries.append(entry)
    return entries


def translate_db_error(exc: DatabaseError) -> Exception:
    """The domain error for a refusal raised by the ledger's SQL (or ``exc`` itself)."""
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


def accounts_lock(account_ids: Iterable[int]) -> dict[int, int]:
    """Lock accounts ``FOR UPDATE`` in ascending id order and return their balances.

    The one place a service takes account locks ahead of posting (e.g. to read the balances a
    split or a grant depends on); ``entry_post`` takes the same locks again at no cost. Callers
    that lock more accounts later in the same transaction risk a deadlock, which PostgreSQL
    detects and ``with_retries`` retries. Must run inside the caller's transaction.
    """
    ids = sorted({int(i) for i in account_ids})
    if not connection.in_atomic_block:
        raise LedgerError("accounts_lock must run inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, balance FROM ledger_account WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [ids],
        )
        found = {row[0]: int(row[1]) for row in cursor.fetchall()}
    if len(found) != len(ids):
        raise AccountNotFoundError()
    return found


def account_get_or_create(
    *, kind: str, user=None, shop=None, shard: int = 0, provider: str = ""
) -> Account:
    """The account of ``kind`` for its owner, created on first use (race-safe)."""
    if kind not in Account.Kind.values:
        raise LedgerError(_("Unknown account kind."))
    if (kind == Account.Kind.PROVIDER_CLEARING) != bool(provider):
        raise LedgerError("a provider clearing account, and only it, names its provider")
    lookup = {
        "kind": kind,
        "owner_user_id": getattr(user, "pk", user),
        "owner_shop_id": getattr(shop, "pk", shop),
        "shard": shard,
        "provider": provider,
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


AccountSpec = tuple[str, "int | None", "int | None", int]  # (kind, user_id, shop_id, shard)


def _spec_where(specs: Sequence[AccountSpec]) -> tuple[str, list]:
    """A WHERE clause matching the accounts ``specs`` that the one-per-owner unique index can
    serve (``IS NOT DISTINCT FROM`` in a join cannot use it)."""
    clauses: list[str] = []
    params: list[Any] = []
    for kind, user_id, shop_id, shard in specs:
        user_sql = "owner_user_id IS NULL" if user_id is None else "owner_user_id = %s"
        shop_sql = "owner_shop_id IS NULL" if shop_id is None else "owner_shop_id = %s"
        clauses.append(f"(kind = %s AND {user_sql} AND {shop_sql} AND shard = %s)")
        params.append(kind)
        params += [v for v in (user_id, shop_id) if v is not None]
        params.append(shard)
    return " OR ".join(clauses), params


def _spec_key(kind, user_id, shop_id, shard) -> tuple:
    return (kind, user_id, shop_id, int(shard))


def accounts_lock_spec(specs: Sequence[AccountSpec]) -> list[tuple[int, int]]:
    """``(id, balance)`` of the accounts ``(kind, user_id, shop_id, shard)``, locked ``FOR
    UPDATE`` in id order, in one round trip when they all exist (missing ones are created
    first). The counter's hot path: look-up and lock in one statement."""
    if not connection.in_atomic_block:
        raise LedgerError("accounts_lock_spec must run inside a transaction")
    where, params = _spec_where(specs)
    # The WHERE clause holds placeholders only.
    sql = f"SELECT id, balance, kind, owner_user_id, owner_shop_id, shard FROM ledger_account WHERE {where} ORDER BY id FOR UPDATE"  # noqa: S608
    wanted = [_spec_key(*spec) for spec in specs]
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = {_spec_key(*row[2:]): (row[0], int(row[1])) for row in cursor.fetchall()}
        if all(key in found for key in wanted):
            return [found[key] for key in wanted]
        for key in wanted:
            if key not in found:
                kind, user_id, shop_id, shard = key
                account_get_or_create(kind=kind, user=user_id, shop=shop_id, shard=shard)
    raise AccountNotFoundError()


def account_ids_get_or_create(specs: Sequence[AccountSpec]) -> list[int]:
    """Ids of the accounts ``(kind, user_id, shop_id, shard)``, creating missing ones, in one
    round trip when they all exist."""
    if not specs:
        return []
    where, params = _spec_where(specs)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, kind, owner_user_id, owner_shop_id, shard FROM ledger_account"  # noqa: S608
            f" WHERE {where}",
            params,
        )
        found = {_spec_key(*row[1:]): row[0] for row in cursor.fetchall()}
    ids = []
    for spec in specs:
        key = _spec_key(*spec)
        account_id = found.get(key)
        if account_id is None:
            kind, user_id, shop_id, shard = key
            account_id = account_get_or_create(
                kind=kind, user=user_id, shop=shop_id, shard=shard
            ).pk
        ids.append(account_id)
    return ids


def user_accounts_ensure(*, kind: str, user_ids: Sequence[int], shard: int = 0) -> dict[int, int]:
    """``{user_id: account_id}`` of the accounts of ``kind`` and ``shard`` of many citizens,
    the missing ones created in one statement (``ledger_accounts_create``); two round trips
    whatever the number (a grant batch pays tens of thousands at once)."""
    if kind not in Account.USER_KINDS:
        raise LedgerError(_("Unknown account kind."))
    ids = sorted({int(u) for u in user_ids})
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ledger_accounts_create(%s, %s::bigint[],"
            " array_fill(NULL::bigint, ARRAY[%s]), array_fill(%s::integer, ARRAY[%s]))",
            [kind, ids, len(ids), shard, len(ids)],
        )
        # A join with the array, not ``owner_user_id = ANY(array)``: with tens of thousands of
        # ids PostgreSQL tests ANY element by element on every row (3.2 s for 50,000 grants,
        # against 0.1 s for the join).
        cursor.execute(
            "SELECT a.owner_user_id, a.id FROM ledger_account a"
            " JOIN unnest(%s::bigint[]) AS u(id) ON a.owner_user_id = u.id"
            " WHERE a.owner_shop_id IS NULL AND a.kind = %s AND a.shard = %s",
            [ids, kind, shard],
        )
        found = dict(cursor.fetchall())
    if len(found) != len(ids):
        raise AccountNotFoundError()
    return found


# --- Idempotent operations ---------------------------------------------------------------------


@dataclass
class IdempotentResult:
    status_code: int
    body: dict
    replayed: bool


@dataclass(frozen=True)
class Idem:
    """An idempotency key as a client sent it: whose (``scope``), the key, and the fingerprint
    of the request it came with."""

    scope: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, scope: str, key: str, *request_parts: Any) -> Idem:
        return cls(scope, key, fingerprint(*request_parts))


def idempotency_replay(idem: Idem) -> IdempotentResult | None:
    """The stored answer for ``idem`` if its first request has completed, else None.

    Lets a service answer a retry before re-checking things the first request consumed (a
    single-use code, say). Raises ``IdempotencyConflictError`` for a different request.
    """
    record = (
        IdempotencyRecord.objects.filter(scope=idem.scope, key=idem.key)
        .values("fingerprint", "status_code", "response")
        .first()
    )
    if record is None:
        return None
    if record["fingerprint"] != idem.fingerprint:
        raise IdempotencyConflictError()
    return IdempotentResult(record["status_code"], record["response"], True)


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
            # idempotency_claim() (ledger/sql): the same claim every money function makes.
            # Blocks on the unique index while another transaction holds the same key.
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT record_id, replay FROM idempotency_claim(%s, %s, %s)",
                        [scope, key, request_fingerprint],
                    )
                    record_id, replay = cursor.fetchone()
            except DatabaseError as exc:
                raise translate_db_error(exc) from exc
            if replay is not None:
                if isinstance(replay, str):
                    replay = json.loads(replay)
                return IdempotentResult(replay["status"], replay["body"], True)
            status_code, body = operation()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT idempotency_answer(%s, %s, %s::jsonb)",
                    [record_id, status_code, json.dumps(body)],
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


def retried(func: Callable[..., T]) -> Callable[..., T]:
    """``with_retries`` as a decorator, for a money path that owns its transaction: called
    inside another transaction it runs once (that transaction's owner retries)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return with_retries(lambda: func(*args, **kwargs))

    return wrapper


# --- Retention of idempotency records -------------------------------------------------------------

# A client may retry a request with its Idempotency-Key for this long at the least; nobody may
# configure a shorter retention (IDEMPOTENCY_RETENTION_DAYS, default 30).
IDEMPOTENCY_RETENTION_MINIMUM = timedelta(days=7)


def idempotency_records_purge(
    *, older_than: timedelta, batch_size: int = 10_000, now: datetime | None = None
) -> int:
    """Delete the stored answers to requests made more than ``older_than`` ago, in batches of
    ``batch_size`` rows, each batch its own short transaction (a purge never holds up
    payments). Returns how many were deleted.

    Only the replayable answers go: ledger entries keep their own unique idempotency keys
    forever, so a retry that comes after its record was purged can never move money twice (it
    is refused as a conflict, or finds its entry). Raises ``LedgerError`` for a retention
    shorter than ``IDEMPOTENCY_RETENTION_MINIMUM``.
    """
    if older_than < IDEMPOTENCY_RETENTION_MINIMUM:
        raise LedgerError(
            _("Idempotency records are kept for at least %(days)s days.")
            % {"days": IDEMPOTENCY_RETENTION_MINIMUM.days}
        )
    cutoff = (now or timezone.now()) - older_than
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM ledger_idempotencyrecord WHERE id IN ("
                "  SELECT id FROM ledger_idempotencyrecord WHERE created_at < %s"
                "  ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)",
                [cutoff, batch_size],
            )
            batch = cursor.rowcount
        deleted += batch
        if batch < batch_size:
            return deleted
