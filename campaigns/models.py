"""Good prepayment campaigns: phases, targets, organisations, participating shops, pledges and
their redemptions at the counter.

The money is in the ledger: a pledge pays the shop (a wallet payment, or a card charge through
the provider) and creates a prepaid balance (account ``prepaid``, citizen × shop) against the
shop's obligation (account ``prepaid_issued``). These tables say which pledge each won of a
prepaid balance came from, so that validity, cancellation and expiry work per pledge, and which
campaign, phase and organisation it counts for.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    target_participants = models.PositiveIntegerField(_("target participants"), default=0)
    target_amount = models.BigIntegerField(_("target amount (won)"), default=0)
    min_pledge = models.BigIntegerField(_("minimum pledge (won)"), default=100_000)
    max_pledge = models.BigIntegerField(_("maximum pledge (won)"), default=300_000)
    max_per_citizen = models.BigIntegerField(_("maximum per citizen (won)"), default=300_000)
    cap_per_shop = models.BigIntegerField(
        _("cap per shop (won)"), null=True, blank=True, help_text=_("Empty: no cap.")
    )
    validity_days = models.PositiveIntegerField(_("prepaid balance valid for (days)"), default=365)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]
        permissions = [("manage_campaign", "Can run good-prepayment campaigns")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaigns_campaign_dates"
            ),
            models.CheckConstraint(
                condition=Q(min_pledge__gt=0)
                & Q(max_pledge__gte=F("min_pledge"))
                & Q(max_per_citizen__gte=F("min_pledge")),
                name="campaigns_campaign_pledge_rules",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Phase(models.Model):
    """A stretch of a campaign, e.g. phase 1 open only to members of participating
    organisations (Jeonju: 5,000 public officials), later phases open to all."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    members_only = models.BooleanField(
        _("only members of participating organisations"), default=False
    )
    target_participants = models.PositiveIntegerField(_("target participants"), default=0)
    target_amount = models.BigIntegerField(_("target amount (won)"), default=0)

    class Meta:
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="campaigns_phase_number"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaigns_phase_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.name}"


class Organisation(models.Model):
    class Kind(models.TextChoices):
        PUBLIC_BODY = "public_body", _("Public body")
        BANK = "bank", _("Bank")
        COMPANY = "company", _("Company")
        ASSOCIATION = "association", _("Association")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    invite_code = models.CharField(_("invitation code"), max_length=20, unique=True)
    campaigns = models.ManyToManyField(Campaign, related_name="organisations", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="campaigns_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation}"


class CampaignShop(models.Model):
    """A shop taking part in a campaign; its bonus (e.g. 5% more value) is paid by the shop."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="shops")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.CASCADE, related_name="campaigns")
    bonus_bp = models.PositiveIntegerField(_("bonus (basis points)"), default=0)
    joined_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "shop"], name="campaigns_shop_once"),
            models.CheckConstraint(condition=Q(bonus_bp__lte=3000), name="campaigns_bonus_sane"),
        ]

    def __str__(self) -> str:
        return f"{self.shop} in {self.campaign}"


class Pledge(models.Model):
    """A citizen's prepayment to a shop in a campaign. ``value`` (amount plus the shop's bonus)
    goes to the citizen's prepaid balance at the shop; ``remaining`` is what is left of it."""

    class PaidWith(models.TextChoices):
        WALLET = "wallet", _("Wallet")
        CARD = "card", _("Card (payment provider)")

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("Waiting for payment")
        ACTIVE = "active", _("Active")
        USED = "used", _("Used up")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded (shop closed)")
        FAILED = "failed", _("Payment failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="pledges")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="pledges")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pledges"
    )
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="pledges")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="pledges"
    )
    amount = models.BigIntegerField(_("amount paid (won)"))
    bonus = models.BigIntegerField(_("shop's bonus (won)"), default=0)
    value = models.BigIntegerField(_("prepaid value (won)"))
    remaining = models.BigIntegerField(_("remaining (won)"))
    paid_with = models.CharField(max_length=10, choices=PaidWith.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    valid_until = models.DateField(_("valid until"))
    business_date = models.DateField()
    created_at = models.DateTimeField(db_default=Now())
    settled_at = models.DateTimeField(null=True, blank=True)  # when it became active
    payment = models.ForeignKey(
        "vouchers.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    charge = models.ForeignKey(
        "vouchers.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(bonus__gte=0)
                & Q(value=F("amount") + F("bonus"))
                & Q(remaining__gte=0)
                & Q(remaining__lte=F("value")),
                name="campaigns_pledge_amounts",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "shop", "status"]),
            models.Index(fields=["status", "valid_until"]),
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["shop", "status"]),
            models.Index(fields=["business_date"]),  # the dashboard's day rollups
        ]

    def __str__(self) -> str:
        return f"Pledge #{self.pk} {self.amount} to {self.shop_id}"


class Redemption(models.Model):
    """Prepaid value spent at the counter (wholly or partly; the rest of a bill may be paid from
    the wallet in the same step: ``payment``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    device = models.ForeignKey(
        "merchants.Device", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    business_date = models.DateField()
    created_at = models.DateTimeField(db_default=Now())
    entry = models.ForeignKey("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(
        "vouchers.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The shop's owner may cancel a redemption of the same business day: the prepaid value goes
    # back to the pledges it came from, and the wallet part (``payment``) back to the wallet.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="campaigns_redemption_positive")
        ]
        indexes = [
            models.Index(fields=["shop", "business_date"]),
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["business_date"]),  # the dashboard's day rollups
        ]

    def __str__(self) -> str:
        return f"Redemption #{self.pk} {self.amount}"


class RedemptionPart(models.Model):
    """Which pledge each won of a redemption came from (earliest expiry first)."""

    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, related_name="parts")
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="redemption_parts")
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="campaigns_part_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount} of pledge {self.pledge_id}"


class PledgeEvent(models.Model):
    """Every change of a pledge after it was made: expiry, cancellation, refund."""

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20)
    amount = models.BigIntegerField(default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.pledge_id}: {self.action}"
