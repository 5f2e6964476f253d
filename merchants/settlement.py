"""Settlement: each shop's sales of a business date paid out, a statement per shop, and one
bank-transfer file per city and date. Run by the nightly job (``operations.nightly``).

What a shop is paid
-------------------
A shop's sales land in its ``shop_payable`` account (wallet payments and pledges paid by wallet
or card); cancellations, refunds and reversals debit it. The payout of business date D is
``max(0, the payable balance at the end of D)``, posted ``shop_payable`` → ``shop_payouts``
(entry kind ``settlement``, business date D, key ``settlement:<shop>:<D>``). A balance that a
late cancellation left negative is carried forward and netted against the next sales.

How (set-based, chunked, idempotent)
------------------------------------
Shops are settled ``chunk_size`` at a time, in shop-id order, one transaction per chunk, so a run
that is interrupted keeps the chunks it finished and a restart settles only the rest. A chunk is
one call of the SQL function ``settlement_chunk`` (merchants migration 0004), whatever its size:

1. the chunk's missing ``shop_payouts`` accounts are created (``INSERT ... SELECT``);
2. its ``shop_payable`` accounts are locked ``FOR UPDATE`` in id order. A payment at one of these
   shops waits for the chunk to commit; payments elsewhere go on;
3. ONE statement figures every shop's day from its payable postings (an index range on
   (account, business_date)) and its balance at the end of the day (the stored balance less what
   was posted after the day). Because the locks were granted before this statement began, it
   sees every posting to these accounts that will ever be dated on or before the moment of
   payout;
4. each payout is posted with ``ledger_post``, called from the function's loop (a statement of
   its own: under Citus a ``ledger_post`` nested in a statement on the city's shards is refused),
   and the statements are written in one INSERT;
5. (after the last chunk) the bank-transfer file is written from the statements with one
   ``INSERT ... SELECT ... string_agg``.

Which shops: those with a payable account and no statement dated D or later (a later settlement
swept everything dated before it) that had postings on D or have money to be paid. A shop
settled for D is skipped, so a repeat run posts nothing; the unique (shop, date) of
``Statement`` and the ledger key mean that even two runs racing past the locks cannot pay twice.
Python never holds more than one row per chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import Account, Entry, Posting

from .models import Shop, Statement, TransferFile

logger = logging.getLogger(__name__)

CHUNK_SHOPS = 1_000

ChunkCallback = Callable[[int, int], None]  # (shops done, shops in all)

# Work a higher app does on a date's payables just before they are settled (solidarity's
# donation-angel shops give their share of the day's sales). Each takes ``business_date``,
# must be idempotent on it, and must skip shops already settled for the date.
SETTLEMENT_BEFORE: list[Callable[..., None]] = []


def settlement_before_register(function: Callable[..., None]) -> None:
    """A higher app takes part in settlement (from its ``AppConfig.ready``): ``function(
    business_date=...)`` runs before the first chunk, in its own transactions."""
    if function not in SETTLEMENT_BEFORE:
        SETTLEMENT_BEFORE.append(function)


@dataclass
class SettlementReport:
    business_date: date
    shops_considered: int = 0
    statements: int = 0  # written by this run
    payouts: int = 0  # of those, with money paid
    gross: int = 0
    cancellations: int = 0
    paid: int = 0
    replayed: int = 0  # payout entries found already posted (a statement was missing)
    already: int = 0  # statements of the date that existed before this run
    transfer_file_written: bool = False
    transfers: int = 0
    transfer_total: int = 0
    chunks: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.statements or self.transfer_file_written)


def _csv_sql(expression: str) -> str:
    """A CSV field from a text expression: quoted, quotes doubled, and a leading = + - @ made
    harmless for spreadsheets (formula injection)."""
    guarded = (
        f"CASE WHEN left({expression}, 1) IN ('=', '+', '-', '@') "
        f"THEN '''' || {expression} ELSE {expression} END"
    )
    return f"""'"' || replace({guarded}, '"', '""') || '"'"""


_MASKED_ACCOUNT_SQL = (
    "CASE WHEN length(sh.bank_account) <= 4 THEN repeat('*', length(sh.bank_account))"
    " ELSE repeat('*', length(sh.bank_account) - 4) || right(sh.bank_account, 4) END"
)

# The masking is Shop.bank_account_masked in SQL (a test compares them).
_TRANSFER_FILE_SQL = f"""
WITH lines AS (
    SELECT s.shop_id,
           s.shop_id::text || ',' || {_csv_sql("sh.name")} || ',' || {_csv_sql("sh.bank_name")}
           || ',' || {_csv_sql(_MASKED_ACCOUNT_SQL)} || ',' || s.payout_amount::text || ','
           || {_csv_sql("s.reference")} AS line,
           s.payout_amount
      FROM merchants_statement s
      JOIN merchants_shop sh ON sh.id = s.shop_id
     WHERE s.business_date = %(day)s AND s.payout_amount > 0
), agg AS (
    SELECT count(*)::integer AS transfers, COALESCE(SUM(payout_amount), 0)::bigint AS total,
           COALESCE(string_agg(line, E'\\r\\n' ORDER BY shop_id) || E'\\r\\n', '') AS body
      FROM lines
)
INSERT INTO merchants_transferfile (business_date, content, transfers, total, created_at,
                                    updated_at)
SELECT %(day)s, %(header)s || E'\\r\\n' || body, transfers, total, now(), now() FROM agg
ON CONFLICT (business_date) DO UPDATE
   SET content = EXCLUDED.content, transfers = EXCLUDED.transfers, total = EXCLUDED.total,
       updated_at = EXCLUDED.updated_at
 WHERE merchants_transferfile.transfers <> EXCLUDED.transfers
    OR merchants_transferfile.total <> EXCLUDED.total
RETURNING transfers, total
"""  # noqa: S608 - built from constants only


def _next_chunk(after: int, size: int) -> int | None:
    """The last shop id of the next chunk of ``size`` shops with a payable account after
    ``after`` (keyset paging: only one number comes back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(owner_shop_id) FROM (SELECT owner_shop_id FROM ledger_accounts"
            " WHERE kind = 'shop_payable' AND owner_shop_id > %s"
            " ORDER BY owner_shop_id LIMIT %s) chunk",
            [after, size],
        )
        (upto,) = cursor.fetchone()
    return upto


def _settle_chunk(*, business_date: date, after: int, upto: int) -> tuple[int, ...]:
    """Settle the shops with ids in (after, upto] in one transaction (``settlement_chunk``).
    Locks their payable accounts (id order), then, inside ``ledger_post``, their payouts
    accounts. Statements are never deleted: a chunk whose shops all have one dated D or later
    has nothing to do and is skipped without taking its locks (a repeat run)."""
    # One call is one transaction: in autocommit when the caller has none (under Citus the whole
    # chunk then runs on the city's worker, in one round trip), else as a savepoint.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(
            "SELECT statements, payouts, gross, cancellations, paid, replayed"
            " FROM settlement_chunk(%s, %s, %s)",
            [after, upto, business_date],
        )
        row = cursor.fetchone()
    return tuple(int(v) for v in row)


def settlement_run(
    *,
    business_date: date,
    chunk_size: int | None = None,
    on_chunk: ChunkCallback | None = None,
) -> SettlementReport:
    """Settle every shop for ``business_date`` and write the date's bank-transfer file.

    Each chunk of ``chunk_size`` shops (default ``CHUNK_SHOPS``) is its own transaction (committed before ``on_chunk`` is
    called); the run is idempotent: shops already settled for the date are skipped, so running
    it again, or after an interruption, pays each shop once. Locks: per chunk, the chunk's
    ``shop_payable`` accounts in id order, then each shop's ``shop_payouts`` account.
    Returns the figures of what this call did.
    """
    chunk_size = chunk_size or CHUNK_SHOPS
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    report = SettlementReport(business_date=business_date)
    for before in SETTLEMENT_BEFORE:
        before(business_date=business_date)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM ledger_accounts WHERE kind = 'shop_payable'),"
            " (SELECT count(*) FROM merchants_statement WHERE business_date = %s)",
            [business_date],
        )
        total, already = (int(v) for v in cursor.fetchone())
    report.already = already
    done, after = 0, 0
    while True:
        upto = _next_chunk(after, chunk_size)
        if upto is None:
            break
        statements, payouts, gross, cancellations, paid, replayed = _settle_chunk(
            business_date=business_date, after=after, upto=upto
        )
        report.chunks += 1
        report.statements += statements
        report.payouts += payouts
        report.gross += gross
        report.cancellations += cancellations
        report.paid += paid
        report.replayed += replayed
        after = upto
        done = min(total, done + chunk_size)
        if on_chunk is not None:
            on_chunk(done, total)
    report.shops_considered = total
    transfers = transfer_file_write(business_date=business_date)
    if transfers is not None:
        report.transfer_file_written = True
        report.transfers, report.transfer_total = transfers
    else:
        row = TransferFile.objects.filter(business_date=business_date).values_list(
            "transfers", "total"
        )
        report.transfers, report.transfer_total = row.first() or (0, 0)
    logger.info(
        "settled %s: %s statements (%s payouts, %s won), %s existed",
        business_date,
        report.statements,
        report.payouts,
        report.paid,
        report.already,
    )
    return report


def transfer_file_header() -> str:
    columns = [
        _("Shop ID"),
        _("Shop"),
        _("Bank"),
        _("Account (masked)"),
        _("Amount (won)"),
        _("Reference"),
    ]
    return ",".join(f'"{c}"' for c in columns)


def transfer_file_write(*, business_date: date) -> tuple[int, int] | None:
    """Write (or bring up to date) the bank-transfer file of ``business_date`` from its
    statements, in one statement. Returns ``(transfers, total)`` if the file was written, None
    if it existed with the same transfers and total (nothing changed)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_TRANSFER_FILE_SQL, {"day": business_date, "header": transfer_file_header()})
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else None


# --- Reads: statements pages and downloads -------------------------------------------------------


def statements_of_shop(*, shop: Shop, limit: int = 90):
    """The shop's latest statements, newest first."""
    return Statement.objects.filter(shop=shop).order_by("-business_date")[:limit]


def statement_for(*, shop: Shop, business_date: date) -> Statement | None:
    return Statement.objects.filter(shop=shop, business_date=business_date).first()


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        text = "'" + text
    if any(ch in text for ch in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _is_number(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _csv_line(*values) -> str:
    return ",".join(_csv_cell(v) for v in values) + "\r\n"


def statement_csv_lines(*, statement: Statement) -> Iterator[str]:
    """A statement as CSV lines: the figures, then the day's transactions on the shop's payable
    account (streamed from the database in batches: memory stays flat however busy the day)."""
    shop = statement.shop
    yield "\ufeff"  # a BOM, so that spreadsheet programs read the Korean as UTF-8
    yield _csv_line(_("Shop"), shop.name)
    yield _csv_line(_("Business date"), statement.business_date.isoformat())
    yield _csv_line(_("Sales"), statement.gross)
    yield _csv_line(_("Cancellations and refunds"), statement.cancellations)
    yield _csv_line(_("Net sales"), statement.net)
    yield _csv_line(_("Paid to other shops"), statement.spent_onward)
    yield _csv_line(_("Brought forward"), statement.carried_in)
    yield _csv_line(_("Payout"), statement.payout_amount)
    yield _csv_line(_("Carried forward"), statement.carried_out)
    yield _csv_line(_("Bank"), shop.bank_name)
    yield _csv_line(_("Account (masked)"), shop.bank_account_masked)
    yield _csv_line(_("Reference"), statement.reference)
    yield "\r\n"
    yield _csv_line(_("Time"), _("Transaction"), _("Kind"), _("Amount (won)"))
    payable = Account.objects.filter(kind=Account.Kind.SHOP_PAYABLE, owner_shop_id=shop.pk).first()
    if payable is None:
        return
    kinds = dict(Entry.Kind.choices)
    rows = (
        Posting.objects.filter(account=payable, business_date=statement.business_date)
        .order_by("entry_id")
        .values_list("entry_id", "entry__kind", "entry__created_at", "amount")
    )
    for entry_id, kind, created_at, amount in rows.iterator(chunk_size=2_000):
        when = timezone.localtime(created_at).strftime("%Y-%m-%d %H:%M:%S")
        yield _csv_line(when, entry_id, str(kinds.get(kind, kind)), amount)
