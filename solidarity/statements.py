"""The year-end statement of a citizen (and the city's totals for staff): Love Gift Certificate
spending by month, with what counts toward the income deduction (payments at shops) and what
does not (prepayment pledges, gifts to others, donations), the cashback earned, donations and
grants received. JSON, CSV and PDF from the same figures.

Read from the rows each programme keeps (payments, pledges, gifts, donations) and, for grants,
from the ledger's postings of kind ``grant`` to the citizen's wallet. Cancelled payments and
undone gifts count for nothing. The tests hold every total against the ledger's postings.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from vouchers.models import Payment

from .exceptions import StatementYearError
from .models import Donation, Gift
from .pdf import pdf_document

FIRST_YEAR = 2020
COLUMNS = (
    "shop_payments",  # wallet payments at shops: counts toward the income deduction
    "pledges",  # prepayment pledges paid from the wallet: not (a prepayment, not a purchase)
    "gifts_sent",  # not: the recipient spends it
    "gifts_received",
    "donations",  # not: a donation has its own receipt
    "cashback",
    "grants_received",
)


@dataclass
class Statement:
    year: int
    user_id: int | None  # None: the city's totals
    months: dict[int, dict[str, int]] = field(default_factory=dict)

    def total(self, column: str) -> int:
        return sum(row[column] for row in self.months.values())

    @property
    def deductible(self) -> int:
        return self.total("shop_payments")

    @property
    def not_deductible(self) -> int:
        return self.total("pledges") + self.total("gifts_sent") + self.total("donations")

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "months": [
                {
                    "month": month,
                    **self.months[month],
                    "deductible": self.months[month]["shop_payments"],
                }
                for month in range(1, 13)
            ],
            "totals": {column: self.total(column) for column in COLUMNS},
            "deductible": self.deductible,
            "not_deductible": self.not_deductible,
        }


def year_check(year: int) -> int:
    if not FIRST_YEAR <= int(year) <= timezone.localdate().year:
        raise StatementYearError()
    return int(year)


def _by_month(qs, value: str, date_field: str = "business_date") -> dict[int, int]:
    rows = qs.annotate(m=ExtractMonth(date_field)).values("m").annotate(total=Sum(value))
    return {int(row["m"]): int(row["total"] or 0) for row in rows}


def _grants_by_month(*, year: int, user_id: int | None) -> dict[int, int]:
    """Grants credited to wallets (a citizen's, or every one with ``user_id`` None) by month,
    from the ledger's postings of entries of kind ``grant``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXTRACT(MONTH FROM p.business_date)::int, SUM(p.amount)"
            " FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id"
            " JOIN ledger_accounts a ON a.id = p.account_id"
            " WHERE e.kind = 'grant' AND p.business_date BETWEEN %s AND %s"
            " AND a.kind IN ('wallet_principal', 'wallet_incentive')"
            " AND (%s::bigint IS NULL OR a.owner_user_id = %s::bigint)"
            " GROUP BY 1",
            [date(year, 1, 1), date(year, 12, 31), user_id, user_id],
        )
        return {int(m): int(total) for m, total in cursor.fetchall()}


def _statement(*, year: int, user: User | None) -> Statement:
    year = year_check(year)
    mine = Q(user=user) if user is not None else Q(user__isnull=False)
    payments = Payment.objects.filter(
        mine, business_date__year=year, status=Payment.Status.COMPLETED
    )
    shop = _by_month(payments.exclude(method=Payment.Method.PLEDGE), "amount")
    pledges = _by_month(payments.filter(method=Payment.Method.PLEDGE), "amount")
    cashback = _by_month(payments, "cashback")
    gifts = Gift.objects.filter(
        business_date__year=year, status__in=[Gift.Status.HELD, Gift.Status.CLAIMED]
    )
    if user is not None:
        sent = _by_month(gifts.filter(sender=user), "amount")
        received = _by_month(
            Gift.objects.filter(recipient=user, status=Gift.Status.CLAIMED, closed_at__year=year),
            "amount",
            "closed_at",
        )
        donations = _by_month(
            Donation.objects.filter(user=user, business_date__year=year), "amount"
        )
    else:
        sent = _by_month(gifts, "amount")
        received = _by_month(
            Gift.objects.filter(status=Gift.Status.CLAIMED, closed_at__year=year),
            "amount",
            "closed_at",
        )
        donations = _by_month(Donation.objects.filter(business_date__year=year), "amount")
    grants = _grants_by_month(year=year, user_id=user.pk if user is not None else None)
    sources = {
        "shop_payments": shop,
        "pledges": pledges,
        "gifts_sent": sent,
        "gifts_received": received,
        "donations": donations,
        "cashback": cashback,
        "grants_received": grants,
    }
    months = {
        month: {column: sources[column].get(month, 0) for column in COLUMNS}
        for month in range(1, 13)
    }
    return Statement(year=year, user_id=user.pk if user is not None else None, months=months)


def statement_for(*, user: User, year: int) -> Statement:
    """The citizen's statement of ``year``. Raises ``StatementYearError``."""
    return _statement(year=year, user=user)


def statement_city(*, year: int) -> Statement:
    """The city's totals of ``year`` over every citizen (for staff)."""
    return _statement(year=year, user=None)


def _labels() -> dict[str, str]:
    return {
        "shop_payments": _("Payments at shops (income deduction)"),
        "pledges": _("Prepayment pledges (no deduction)"),
        "gifts_sent": _("Gifts sent (no deduction)"),
        "gifts_received": _("Gifts received"),
        "donations": _("Donations (own receipt)"),
        "cashback": _("Cashback earned"),
        "grants_received": _("Grants received"),
    }


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 Korean only with the byte-order mark
    writer = csv.writer(out)
    labels = _labels()
    writer.writerow([_("Month"), *[labels[c] for c in COLUMNS]])
    for month in range(1, 13):
        writer.writerow(
            [f"{statement.year}-{month:02d}", *[statement.months[month][c] for c in COLUMNS]]
        )
    writer.writerow([_("Total"), *[statement.total(c) for c in COLUMNS]])
    return out.getvalue()


def statement_pdf(statement: Statement, *, city: str = "", name: str = "") -> bytes:
    labels = _labels()
    lines: list = [
        (_("Love Gift Certificate year-end statement %(year)s") % {"year": statement.year}, 16),
    ]
    if city or name:
        lines.append(f"{city} {name}".strip())
    lines.append("")
    for column in COLUMNS:
        lines.append(f"{labels[column]}: {statement.total(column):,}" + _(" won"))
    lines += [
        "",
        _("Counts toward the income deduction: %(amount)s won")
        % {"amount": f"{statement.deductible:,}"},
        _("Does not count: %(amount)s won") % {"amount": f"{statement.not_deductible:,}"},
        "",
        (_("By month"), 12),
    ]
    for month in range(1, 13):
        row = statement.months[month]
        if not any(row.values()):
            continue
        lines.append(
            f"{statement.year}-{month:02d}  "
            + "  ".join(f"{labels[c].split(' (')[0]} {row[c]:,}" for c in COLUMNS if row[c])
        )
    return pdf_document(title=_("Year-end statement"), lines=lines)


def donation_receipt_pdf(*, user: User, year: int, city: str = "") -> bytes:
    """The donor's receipt for ``year``: every donation to the community fund, and the total."""
    year = year_check(year)
    rows = list(
        Donation.objects.filter(user=user, business_date__year=year).order_by("business_date", "id")
    )
    labels = dict(Donation.Source.choices)
    lines: list = [
        (_("Donation receipt %(year)s") % {"year": year}, 16),
        f"{city} {user.get_full_name()}".strip(),
        _("Recipient: the community fund of %(city)s") % {"city": city or "-"},
        "",
    ]
    for donation in rows:
        lines.append(
            f"{donation.business_date.isoformat()}  {labels[donation.source]}  {donation.amount:,}"
            + _(" won")
        )
    total = sum(d.amount for d in rows)
    lines += ["", (_("Total donated: %(amount)s won") % {"amount": f"{total:,}"}, 12)]
    return pdf_document(title=_("Donation receipt"), lines=lines)
