"""Reads of the ledger: balances, statements, and the full consistency check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from .models import Account, Posting


def account_balance(account_id: int) -> int:
    return Account.objects.values_list("balance", flat=True).get(pk=account_id)


def entry_legs(*, entry_id: int) -> list[tuple[int, int]]:
    """``(account_id, amount)`` of an entry's postings: what a mirror image must undo."""
    return list(
        Posting.objects.filter(entry_id=entry_id)
        .order_by("account_id")
        .values_list("account_id", "amount")
    )


def outflow_since(*, account_ids: list[int], since) -> bool:
    """Whether an entry created at or after ``since`` took money out of any of the accounts
    (a payment, a refund, a gift ...). The caller holds the accounts' locks, so no such entry
    can be in flight. An entry's time is its transaction's start: one that began before
    ``since`` and committed after is not seen, which only ever allows a reversal that the
    balances themselves then allow or refuse."""
    since_day = timezone.localdate(since)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id"
            " WHERE p.account_id = ANY(%s) AND p.amount < 0 AND p.business_date >= %s"
            " AND e.created_at >= %s)",
            [list(account_ids), since_day, since],
        )
        return bool(cursor.fetchone()[0])


def account_balances_sum(*, kind: str, provider: str = "") -> int:
    """The sum of the stored balances of every account of ``kind`` (of one provider)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(balance), 0) FROM ledger_account WHERE kind = %s AND provider = %s",
            [kind, provider],
        )
        return int(cursor.fetchone()[0])


def balances_by_kind() -> dict[str, int]:
    """Sum of stored balances per account kind (small: one row per kind)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, COALESCE(SUM(balance), 0) FROM ledger_account GROUP BY kind")
        return {kind: int(total) for kind, total in cursor.fetchall()}


def account_statement(
    *, account_ids: list[int], since: date | None = None, limit: int = 100
) -> QuerySet[Posting]:
    """Postings of the given accounts, newest first, with their entries."""
    qs = (
        Posting.objects.filter(account_id__in=account_ids)
        .select_related("entry", "account")
        .order_by("-entry__created_at", "-id")
    )
    if since is not None:
        qs = qs.filter(business_date__gte=since)
    return qs[:limit]


@dataclass
class LedgerCheckReport:
    accounts: int = 0
    entries: int = 0
    postings: int = 0
    postings_sum: int = 0
    balances_sum: int = 0
    balance_mismatches: list[tuple[int, str, int, int]] = field(default_factory=list)
    unbalanced_entries: list[tuple[int, int, int]] = field(default_factory=list)
    negative_accounts: list[tuple[int, str, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.postings_sum == 0
            and self.balances_sum == 0
            and not self.balance_mismatches
            and not self.unbalanced_entries
            and not self.negative_accounts
        )

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "accounts": self.accounts,
            "entries": self.entries,
            "postings": self.postings,
            "postings_sum": self.postings_sum,
            "balances_sum": self.balances_sum,
            "balance_mismatches": [
                {"account_id": a, "kind": k, "stored": s, "from_postings": p}
                for a, k, s, p in self.balance_mismatches
            ],
            "unbalanced_entries": [
                {"entry_id": e, "postings": c, "sum": s} for e, c, s in self.unbalanced_entries
            ],
            "negative_accounts": [
                {"account_id": a, "kind": k, "balance": b} for a, k, b in self.negative_accounts
            ],
        }


def ledger_check(*, limit: int = 100) -> LedgerCheckReport:
    """Recompute every balance from the postings and verify the book, in set-based SQL.

    Runs in the current city's schema, in one REPEATABLE READ snapshot when the caller opens
    one (the nightly run does), so concurrent payments cannot produce false mismatches.
    """
    report = LedgerCheckReport()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM ledger_account),"
            " (SELECT COUNT(*) FROM ledger_entry),"
            " (SELECT COUNT(*) FROM ledger_posting),"
            " (SELECT COALESCE(SUM(amount), 0) FROM ledger_posting),"
            " (SELECT COALESCE(SUM(balance), 0) FROM ledger_account)"
        )
        row = cursor.fetchone()
        report.accounts, report.entries, report.postings = int(row[0]), int(row[1]), int(row[2])
        report.postings_sum, report.balances_sum = int(row[3]), int(row[4])
        cursor.execute(
            "SELECT a.id, a.kind, a.balance, COALESCE(p.total, 0)"
            "  FROM ledger_account a"
            "  LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_posting"
            "             GROUP BY account_id) p ON p.account_id = a.id"
            " WHERE a.balance <> COALESCE(p.total, 0)"
            " ORDER BY a.id LIMIT %s",
            [limit],
        )
        report.balance_mismatches = [(r[0], r[1], int(r[2]), int(r[3])) for r in cursor.fetchall()]
        cursor.execute(
            "SELECT e.id, COUNT(p.id), COALESCE(SUM(p.amount), 0)"
            "  FROM ledger_entry e LEFT JOIN ledger_posting p ON p.entry_id = e.id"
            " GROUP BY e.id HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.id) < 2"
            " ORDER BY e.id LIMIT %s",
            [limit],
        )
        report.unbalanced_entries = [(r[0], int(r[1]), int(r[2])) for r in cursor.fetchall()]
        cursor.execute(
            "SELECT id, kind, balance FROM ledger_account"
            " WHERE NOT may_go_negative AND balance < 0 ORDER BY id LIMIT %s",
            [limit],
        )
        report.negative_accounts = [(r[0], r[1], int(r[2])) for r in cursor.fetchall()]
    return report


@dataclass(frozen=True)
class CitizenBalances:
    principal: int = 0
    incentive: int = 0
    prepaid: int = 0  # at the shop asked about
    grant: int = 0  # every grant programme's balance, summed

    @property
    def wallet(self) -> int:
        """What the citizen charged and earned: principal and incentive (not the grant)."""
        return self.principal + self.incentive


def citizen_balances(*, user_id: int, shop_id: int | None = None) -> CitizenBalances:
    """A citizen's wallet balances and, with ``shop_id``, the prepaid balance at that shop."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, SUM(balance) FROM ledger_account WHERE owner_user_id = %s"
            " AND (kind IN ('wallet_principal', 'wallet_incentive', 'wallet_grant')"
            "      OR (kind = 'prepaid' AND owner_shop_id = %s)) GROUP BY kind",
            [user_id, shop_id],
        )
        found = {kind: int(balance) for kind, balance in cursor.fetchall()}
    return CitizenBalances(
        principal=found.get("wallet_principal", 0),
        incentive=found.get("wallet_incentive", 0),
        prepaid=found.get("prepaid", 0),
        grant=found.get("wallet_grant", 0),
    )


def system_balances() -> dict[str, int]:
    """Sum of the stored balances of each system account kind (float, incentive budget, grant
    budget, guarantee fund, outside world; shards summed). Reads only the ownerless accounts,
    found through the one-per-owner unique index: cheap whatever the number of citizens."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, COALESCE(SUM(balance), 0) FROM ledger_account"
            " WHERE owner_user_id IS NULL AND owner_shop_id IS NULL GROUP BY kind"
        )
        return {kind: int(total) for kind, total in cursor.fetchall()}


def entries_by_kind_on(day: date) -> dict[str, tuple[int, int]]:
    """``{kind: (entries, won)}`` for the entries of business date ``day``, where won is the sum
    of each entry's positive postings (what it moved). Reads one day through the
    ``(business_date, kind)`` index and each entry's postings through ``entry_id``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.kind, COUNT(*), COALESCE(SUM(moved.won), 0)"
            "  FROM ledger_entry e"
            "  CROSS JOIN LATERAL (SELECT COALESCE(SUM(p.amount), 0) AS won FROM ledger_posting p"
            "                       WHERE p.entry_id = e.id AND p.amount > 0) moved"
            " WHERE e.business_date = %s GROUP BY e.kind",
            [day],
        )
        return {kind: (int(count), int(won)) for kind, count, won in cursor.fetchall()}
