"""Solidarity between neighbours: gifts from one wallet to another, donations to the city's
community fund (from a citizen's wallet or cashback, and from "donation-angel" shops' settlements),
grants out of the fund, and relay challenges between the organisations of a campaign.

Money lives in the ledger (``ledger/models.py``): a gift not yet claimed sits in its sender's
``gift_held_principal`` / ``gift_held_incentive`` accounts, the fund in ``community_fund``.
These tables hold what the ledger does not: who gave what to whom, and each thing's state.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Gift(models.Model):
    """Part of a citizen's wallet given to another citizen, principal and incentive in the
    proportion the sender's wallet held them (each keeps its rules at the recipient).

    To someone signed up: ``claimed`` at once. To an email address or a phone number nobody in
    the city has: ``held`` in the sender's gift-held accounts until that person signs up and
    opens their gifts (``claimed``), the sender cancels it (``cancelled``), or 30 days pass
    (``returned`` by the nightly run)."""

    class Status(models.TextChoices):
        HELD = "held", _("Waiting for the recipient")
        CLAIMED = "claimed", _("Received")
        CANCELLED = "cancelled", _("Cancelled")
        RETURNED = "returned", _("Returned (not claimed in 30 days)")

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gifts_sent"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gifts_received",
    )
    # The contact the sender typed, normalised (lower-case email, or 01012345678).
    to_email = models.CharField(max_length=254, blank=True)
    to_phone = models.CharField(max_length=20, blank=True)
    amount = models.BigIntegerField(_("amount (won)"))
    principal = models.BigIntegerField()
    incentive = models.BigIntegerField()
    message = models.CharField(_("message"), max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    business_date = models.DateField()
    created_at = models.DateTimeField(db_default=Now())
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)  # claimed, cancelled or returned
    send_entry = models.ForeignKey(
        "ledger.Entry", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    claim_entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(principal__gte=0)
                & Q(incentive__gte=0)
                & Q(amount=F("principal") + F("incentive")),
                name="solidarity_gift_split_whole",
            ),
            models.CheckConstraint(
                condition=~Q(to_email="") | ~Q(to_phone="") | Q(recipient__isnull=False),
                name="solidarity_gift_has_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status="held", claim_entry__isnull=True, undo_entry__isnull=True)
                | Q(status="claimed", undo_entry__isnull=True, recipient__isnull=False)
                | Q(status__in=["cancelled", "returned"], undo_entry__isnull=False),
                name="solidarity_gift_status_shape",
            ),
        ]
        indexes = [
            models.Index(fields=["sender", "business_date"]),
            models.Index(
                fields=["expires_at"], condition=Q(status="held"), name="solidarity_gift_held"
            ),
        ]

    def __str__(self) -> str:
        return f"gift #{self.pk} {self.amount:,}"


class DonationPreference(models.Model):
    """A citizen's standing choice: give every cashback to the community fund."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="donation_preference"
    )
    cashback_to_fund = models.BooleanField(_("give my cashback to the community fund"))
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.cashback_to_fund}"


class Donation(models.Model):
    """One gift to the community fund: a citizen's one-off amount from the wallet, a day's
    cashback of a citizen who gives it every time, or a donation-angel shop's share of a day's
    settlement. The donation receipt for a year sums a donor's rows of that year."""

    class Source(models.TextChoices):
        ONE_OFF = "one_off", _("One-off donation")
        CASHBACK = "cashback", _("Cashback")
        ANGEL_SHOP = "angel_shop", _("Donation-angel shop")

    source = models.CharField(max_length=20, choices=Source.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    shop = models.ForeignKey(
        "merchants.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField(_("amount (won)"))
    principal = models.BigIntegerField(default=0)
    incentive = models.BigIntegerField(default=0)
    business_date = models.DateField()
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="solidarity_donation_positive"),
            models.CheckConstraint(
                condition=Q(source="angel_shop", shop__isnull=False, user__isnull=True)
                | Q(source__in=["one_off", "cashback"], shop__isnull=True, user__isnull=False),
                name="solidarity_donation_donor",
            ),
            # A citizen's cashback and a shop's share are given once per day.
            models.UniqueConstraint(
                fields=["user", "business_date"],
                condition=Q(source="cashback"),
                name="solidarity_cashback_once_a_day",
            ),
            models.UniqueConstraint(
                fields=["shop", "business_date"],
                condition=Q(source="angel_shop"),
                name="solidarity_angel_once_a_day",
            ),
        ]
        indexes = [models.Index(fields=["user", "business_date"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.amount:,}"


class AngelShop(models.Model):
    """A shop that gives ``share_bp`` of each day's sales to the community fund (착한가게),
    taken at the night's settlement before the payout."""

    shop = models.OneToOneField("merchants.Shop", on_delete=models.PROTECT, related_name="+")
    share_bp = models.PositiveIntegerField(_("share of sales (basis points)"))
    joined_at = models.DateTimeField(db_default=Now())
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("donation-angel shop")
        verbose_name_plural = _("donation-angel shops")
        constraints = [
            models.CheckConstraint(
                condition=Q(share_bp__gte=1) & Q(share_bp__lte=5000),
                name="solidarity_angel_share_sane",
            )
        ]

    def __str__(self) -> str:
        return f"angel {self.shop_id} {self.share_bp}bp"

    def get_share_display(self) -> str:
        return f"{self.share_bp / 100:g}%"


class FundGrant(models.Model):
    """Money out of the community fund to a good cause, decided by city staff: shown on the
    fund's public page (where the money went)."""

    recipient = models.CharField(_("recipient"), max_length=100)
    purpose = models.CharField(_("purpose"), max_length=200)
    amount = models.BigIntegerField(_("amount (won)"))
    business_date = models.DateField()
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("grant from the community fund")
        verbose_name_plural = _("grants from the community fund")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="solidarity_grant_positive")
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.amount:,}"


class RelayNomination(models.Model):
    """In a campaign's relay challenge, an organisation that joined passes the baton to another
    organisation of the city with a message; the nominated one is invited and may join."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        JOINED = "joined", _("Joined")

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="relay_nominations"
    )
    nominator = models.ForeignKey(
        "campaigns.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    nominee = models.ForeignKey(
        "campaigns.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    message = models.CharField(_("pass-the-baton message"), max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())
    joined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("relay nomination")
        verbose_name_plural = _("relay nominations")
        ordering = ["created_at", "id"]
        constraints = [
            # Each organisation is nominated once per campaign: the relay is a tree.
            models.UniqueConstraint(
                fields=["campaign", "nominee"], name="solidarity_relay_one_baton"
            ),
            models.CheckConstraint(
                condition=~Q(nominator=F("nominee")), name="solidarity_relay_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nominator_id} → {self.nominee_id}"
