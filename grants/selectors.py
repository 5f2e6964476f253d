"""Reads of grant programmes and applications, shared by pages, the API and the dashboard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from ledger.services import business_date_today

from .models import Application, Document, Programme

APPROVED_OR_PAID = (Application.Status.APPROVED, Application.Status.PAID)


def programmes_open(*, today: dt.date | None = None) -> QuerySet[Programme]:
    """Programmes taking applications today, with their groups."""
    today = today or business_date_today()
    return (
        Programme.objects.filter(
            status=Programme.Status.OPEN, apply_from__lte=today, apply_until__gte=today
        )
        .prefetch_related("groups")
        .order_by("apply_until", "id")
    )


def programmes_all() -> QuerySet[Programme]:
    return Programme.objects.prefetch_related("groups").order_by("-id")


def applications_of(*, user) -> QuerySet[Application]:
    return (
        Application.objects.filter(applicant=user)
        .select_related("programme", "group")
        .prefetch_related("documents")
        .order_by("-id")
    )


def review_queue(
    *, programme: Programme, status: str | None = None, limit: int = 200
) -> QuerySet[Application]:
    """A programme's applications for review, oldest first (masked data only in lists)."""
    qs = Application.objects.filter(programme=programme).select_related("group", "applicant")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("id")[:limit]


def application_detail(*, pk: int) -> Application | None:
    return (
        Application.objects.select_related("programme", "group", "applicant", "entered_by")
        .prefetch_related("documents", "events")
        .filter(pk=pk)
        .first()
    )


def document_of(*, pk: int) -> Document | None:
    return Document.objects.select_related("application").filter(pk=pk).first()


@dataclass(frozen=True)
class ProgrammeFigures:
    budget: int
    committed: int
    paid: int
    paid_count: int
    budget_left: int  # in the programme's budget account
    held: int  # still in citizens' grant accounts
    spent: int
    returned: int
    by_status: dict[str, int]
    by_group: list[tuple[str, int, int]]  # (group name, applications, approved or paid)
    spent_by_category: list[tuple[str, int]]
    spent_by_district: list[tuple[str, int]]
    smallest_share_bp: int  # of the spending, the share at shops under 300 million won
    days_to_spend: int | None

    @property
    def spent_share_bp(self) -> int:
        return self.spent * 10_000 // self.paid if self.paid else 0


def programme_figures(*, programme: Programme, today: dt.date | None = None) -> ProgrammeFigures:
    """The staff page's figures: applications by status and group, paid, held, spent (by shop
    category and district), returned, days left to spend, and the share spent at the
    smallest shops (annual sales under 300 million won)."""
    today = today or business_date_today()
    by_status = dict(
        Application.objects.filter(programme=programme)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    by_group = [
        (row["group__name"], row["n"], row["ok"])
        for row in Application.objects.filter(programme=programme)
        .values("group__name")
        .annotate(
            n=Count("id"),
            ok=Count("id", filter=Q(status__in=APPROVED_OR_PAID)),
        )
        .order_by("group__name")
    ]
    paid = programme.batches.aggregate(s=Sum("amount"), n=Sum("paid"))
    returned = programme.expiries.aggregate(s=Sum("amount"))["s"] or 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(balance) FILTER (WHERE kind = 'wallet_grant'), 0),"
            " COALESCE(SUM(balance) FILTER (WHERE kind = 'grant_budget'), 0)"
            " FROM ledger_accounts WHERE shard = %s AND owner_shop_id IS NULL"
            " AND kind IN ('wallet_grant', 'grant_budget')",
            [programme.pk],
        )
        held, budget_left = cursor.fetchone()
        # Spending of this programme's grants: the payments' grant part by the shop's category
        # and district (a citizen holds one grant of a programme).
        cursor.execute(
            "SELECT s.category, s.district, s.sales_bracket, SUM(p.from_grant)"
            "  FROM vouchers_payment p JOIN merchants_shop s ON s.id = p.shop_id"
            "  JOIN grants_application a ON a.applicant_id = p.user_id AND a.programme_id = %s"
            " WHERE p.from_grant > 0 AND p.status = 'completed' AND a.status = 'paid'"
            "   AND p.created_at >= (SELECT MIN(created_at) FROM grants_paymentbatch"
            "                         WHERE programme_id = %s AND paid > 0)"
            " GROUP BY 1, 2, 3",
            [programme.pk, programme.pk],
        )
        rows = cursor.fetchall()
    by_category: dict[str, int] = {}
    by_district: dict[str, int] = {}
    smallest = 0
    for category, district, bracket, won in rows:
        by_category[category] = by_category.get(category, 0) + int(won)
        by_district[district] = by_district.get(district, 0) + int(won)
        if bracket == "under_300m":
            smallest += int(won)
    paid_total = int(paid["s"] or 0)
    spent = paid_total - int(held) - returned
    spent_rows = sum(by_category.values())
    return ProgrammeFigures(
        budget=programme.budget,
        committed=programme.committed,
        paid=paid_total,
        paid_count=int(paid["n"] or 0),
        budget_left=int(budget_left),
        held=int(held),
        spent=spent,
        returned=returned,
        by_status=by_status,
        by_group=by_group,
        spent_by_category=sorted(by_category.items(), key=lambda kv: -kv[1]),
        spent_by_district=sorted(by_district.items(), key=lambda kv: -kv[1]),
        smallest_share_bp=smallest * 10_000 // spent_rows if spent_rows else 0,
        days_to_spend=(programme.spend_until - today).days
        if programme.spend_until >= today
        else None,
    )
