"""What the nightly run did, step by step, and what it recorded about prepaid balances.

The tables keep the names the dashboard app gave them when it ran the jobs (``db_table``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One attempt at one step of the nightly run for one business date.

    A step that is run again (a restart after a crash, a retry, a "run again" from the operations
    page) gets a new row with the next ``attempt``; the work itself is idempotent on its natural
    keys (shop and date, pledge, month, date), so a later attempt finishes what an earlier one
    left and repeats nothing. ``counts`` and ``sums`` hold the figures the step reports;
    ``note`` says in a word how it ended (see ``operations.nightly.NOTES``).
    """

    class Step(models.TextChoices):
        SETTLEMENT = "settlement", _("Settlement")
        PREPAID = "prepaid", _("Prepaid balances")
        CAPS = "caps", _("Incentive caps")
        GRANTS = "grants", _("Grants: returns and notices")
        RECONCILE = "reconcile", _("Reconciliation")
        ROLLUPS = "rollups", _("Dashboard figures")
        SOLIDARITY = "solidarity", _("Gifts and donations")
        FRAUD = "fraud", _("Cash-out signals")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        NOTHING_TO_DO = "nothing_to_do", _("Nothing to do")

    business_date = models.DateField(_("business date"))
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    trigger = models.CharField(_("started by"), max_length=30, default="command")
    note = models.CharField(max_length=40, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    sums = models.JSONField(default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started"), db_default=Now())
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)

    class Meta:
        verbose_name = _("nightly job run")
        verbose_name_plural = _("nightly job runs")
        ordering = ["-business_date", "step", "-attempt"]
        db_table = "dashboard_jobrun"  # made by the dashboard app, which ran the jobs first
        permissions = [("run_nightly", "Can see and start the nightly run of the city")]
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "step", "attempt"], name="dashboard_jobrun_attempt_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.step} #{self.attempt} {self.status}"


class PrepaidSnapshot(models.Model):
    """A shop's prepaid figures for one business date, recorded by the nightly run: what was
    redeemed and expired that day and the prepaid value it still owed at the end of it."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField(_("business date"))
    redeemed = models.BigIntegerField(_("redeemed (won)"), default=0)
    expired = models.BigIntegerField(_("expired (won)"), default=0)
    outstanding = models.BigIntegerField(_("outstanding (won)"), default=0)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("prepaid snapshot")
        verbose_name_plural = _("prepaid snapshots")
        db_table = "dashboard_prepaidsnapshot"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "business_date"], name="dashboard_prepaid_snapshot_once"
            ),
            models.CheckConstraint(
                condition=Q(redeemed__gte=0) & Q(expired__gte=0),
                name="dashboard_prepaid_snapshot_amounts",
            ),
        ]
        indexes = [models.Index(fields=["business_date"], name="dashboard_p_busines_046b71_idx")]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.business_date}"
