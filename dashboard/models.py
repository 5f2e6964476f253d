"""The dashboard's rollups: the ledger summed per business date (its own cache, refreshed by the
nightly run). The nightly run's own records are ``operations.models``."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

# Rollups: the ledger summed per business date, so that a page adds up a few thousand rows
# instead of millions of postings. Written only by ``dashboard.rollups`` (delete and insert a
# whole date in one transaction, so a refresh is idempotent); a date without a ``RollupDate`` is
# read live from the ledger instead. Amounts are whole won, net of reversals (a reversed payment
# counts against payments on the reversal's date).


class RollupDate(models.Model):
    """A business date whose rollups are complete: written last by a refresh of that date."""

    business_date = models.DateField(_("business date"), unique=True)
    refreshed_at = models.DateTimeField(_("refreshed"), db_default=Now())
    entries = models.BigIntegerField(_("entries"), default=0)

    class Meta:
        verbose_name = _("rolled-up date")
        verbose_name_plural = _("rolled-up dates")
        ordering = ["-business_date"]
        permissions = [("view_dashboard", "Can see the city dashboard")]

    def __str__(self) -> str:
        return f"{self.business_date}"


class KindDay(models.Model):
    """The sum of one day's postings of one entry kind to one kind of account, city-wide.
    ``entry_kind`` is the kind of the entry a reversal reverses, so reversals net out."""

    business_date = models.DateField()
    entry_kind = models.CharField(max_length=20)
    account_kind = models.CharField(max_length=20)
    amount = models.BigIntegerField(default=0)
    entries = models.BigIntegerField(default=0)  # not counting reversals
    reversals = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "entry_kind", "account_kind"],
                name="dashboard_kindday_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.entry_kind}/{self.account_kind} {self.amount}"


class ShopDay(models.Model):
    """One shop's day, from the postings to its own accounts (positive amounts).

    ``sales``: wallet payments and card pledges paid to the shop, net of cancellations;
    ``refunds``: refunds it gave; ``settled``: paid out to its bank account; ``pledged``:
    prepaid value it issued; ``redeemed``, ``expired``, ``prepaid_closed`` (cancelled or refunded
    by the city): prepaid value that ended. Outstanding prepaid value changes by
    ``pledged - redeemed - expired - prepaid_closed``."""

    business_date = models.DateField()
    shop = models.ForeignKey(
        "merchants.Shop", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    sales = models.BigIntegerField(default=0)
    sales_count = models.BigIntegerField(default=0)
    refunds = models.BigIntegerField(default=0)
    settled = models.BigIntegerField(default=0)
    pledged = models.BigIntegerField(default=0)
    pledge_count = models.BigIntegerField(default=0)
    redeemed = models.BigIntegerField(default=0)
    expired = models.BigIntegerField(default=0)
    prepaid_closed = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business_date", "shop"], name="dashboard_shopday_once")
        ]

    def __str__(self) -> str:
        return f"{self.business_date} shop {self.shop_id}"


class CampaignDay(models.Model):
    """One day of a campaign per phase and organisation (none: citizens who pledged on their
    own), from its pledges, redemption parts and pledge events."""

    business_date = models.DateField()
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey(
        "campaigns.Phase", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    organisation = models.ForeignKey(
        "campaigns.Organisation",
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    pledges = models.BigIntegerField(default=0)
    pledged = models.BigIntegerField(default=0)  # paid by citizens
    value = models.BigIntegerField(default=0)  # prepaid value issued (with the shops' bonus)
    redeemed = models.BigIntegerField(default=0)
    expired = models.BigIntegerField(default=0)
    closed = models.BigIntegerField(default=0)  # cancelled by the citizen or refunded

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "campaign", "phase", "organisation"],
                nulls_distinct=False,
                name="dashboard_campaignday_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.business_date} campaign {self.campaign_id}"
