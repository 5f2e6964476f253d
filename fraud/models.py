"""Cash-out cases: what the nightly step found (a shop or a citizen with signals, each with its
evidence and payments), what staff decided about each, and what the decisions moved.

A subject has at most one active case (open or under investigation: partial unique indexes);
every decision is a ``CaseDecision`` row, and every won a decision moved is a ledger entry named
there (incentive held, released or clawed back: ``IncentiveHold``, ``CaseDecision.effects``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class FraudSettings(models.Model):
    """The city's thresholds (``values`` over ``fraud.rules.Thresholds``'s defaults). One row
    per change; the latest is in force."""

    values = models.JSONField(default=dict, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("cash-out thresholds")
        verbose_name_plural = _("cash-out thresholds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"FraudSettings #{self.pk}"


class Case(models.Model):
    class Subject(models.TextChoices):
        SHOP = "shop", _("Shop")
        CITIZEN = "citizen", _("Citizen")

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        INVESTIGATING = "investigating", _("Under investigation")
        DISMISSED = "dismissed", _("Dismissed")
        CONFIRMED = "confirmed", _("Confirmed")

    ACTIVE = (Status.OPEN, Status.INVESTIGATING)

    subject = models.CharField(_("subject"), max_length=10, choices=Subject.choices)
    shop = models.ForeignKey(
        "merchants.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    score = models.PositiveIntegerField(_("score"), default=0)
    # [{kind, text, evidence, payments, weight}] as ``fraud.rules.Signal.as_dict`` gives them.
    signals = models.JSONField(default=list)
    shops = ArrayField(models.BigIntegerField(), default=list)  # every shop involved
    citizens = ArrayField(models.BigIntegerField(), default=list)  # every citizen involved
    first_date = models.DateField(_("first found"))
    last_date = models.DateField(_("last scored"))
    opened_at = models.DateTimeField(db_default=Now())
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cash-out case")
        verbose_name_plural = _("cash-out cases")
        ordering = ["-score", "-opened_at", "-id"]
        permissions = [("review_case", "Can review cash-out cases and tune their thresholds")]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject="shop", shop__isnull=False, user__isnull=True)
                | Q(subject="citizen", shop__isnull=True, user__isnull=False),
                name="fraud_case_subject_shape",
            ),
            models.UniqueConstraint(
                fields=["shop"],
                condition=Q(status__in=["open", "investigating"], subject="shop"),
                name="fraud_case_one_active_per_shop",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["open", "investigating"], subject="citizen"),
                name="fraud_case_one_active_per_citizen",
            ),
        ]
        indexes = [models.Index(fields=["status", "-score"])]

    def __str__(self) -> str:
        return f"case #{self.pk} ({self.subject})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def payment_ids(self) -> list[int]:
        return sorted({p for s in self.signals for p in s.get("payments", [])})


class CaseDecision(models.Model):
    """One staff decision on a case, with the reason and what it moved (``effects``: the shops
    held or released or suspended, the ledger entries of held, released and clawed-back
    incentive)."""

    class Action(models.TextChoices):
        DISMISS = "dismiss", _("Dismissed")
        INVESTIGATE = "investigate", _("Investigation opened")
        CONFIRM = "confirm", _("Confirmed as cash-out")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(_("decision"), max_length=20, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    effects = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("case decision")
        verbose_name_plural = _("case decisions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class IncentiveHold(models.Model):
    """A citizen's incentive balance taken out of reach while a case is investigated: an
    ``adjustment`` entry from the citizen's ``wallet_incentive`` to their budget shard. A
    release reverses that entry (``entry_reverse``); ``released_entry`` names the reversal."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="holds")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(_("held (won)"))
    entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="fraud_hold_once_per_case"),
            models.CheckConstraint(
                condition=Q(amount__gte=0)
                & (Q(amount=0, entry__isnull=True) | Q(amount__gt=0, entry__isnull=False)),
                name="fraud_hold_amount_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.user_id} {self.amount}"
