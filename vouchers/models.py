"""The Love Gift Certificate (local currency) wallet: policy, charges, payments, refunds.

Money itself lives in the ledger (accounts wallet_principal and wallet_incentive per citizen,
incentive_budget shards per city); these tables hold what the ledger does not: the rules in
force, each charge's life with the payment provider, each payment's split and cashback, and the
per-month usage that limits are checked against (locked per citizen, never city-wide).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CitizenGroup(models.TextChoices):
    GENERAL = "general", _("General")
    YOUTH = "youth", _("Youth (19-34)")
    SENIOR = "senior", _("Senior (65+)")
    LOW_INCOME = "low_income", _("Basic livelihood recipient")


class BudgetMode(models.TextChoices):
    PRORATE = "prorate", _("Pace the budget to last its period")
    FIRST_COME = "first_come", _("First come, first served until it runs out")


class Wallet(models.Model):
    """A citizen's wallet settings: the payment PIN and the citizen group for rates."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet"
    )
    pin_hash = models.CharField(max_length=128, blank=True)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    pin_locked_until = models.DateTimeField(null=True, blank=True)
    citizen_group = models.CharField(
        _("citizen group"), max_length=20, choices=CitizenGroup.choices, default="general"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        permissions = [
            ("use_wallet", "Can charge and spend a Love Gift Certificate wallet"),
            ("change_policy", "Can change the city's wallet policy and budgets"),
        ]

    def __str__(self) -> str:
        return f"wallet of {self.user}"


class Policy(models.Model):
    """The city's wallet rules from ``effective_from`` on. Rows are never edited: a change is a
    new row (who and when kept), and the rules for a date are the latest row effective by then,
    with any ``PolicyOverride`` covering that date applied on top."""

    effective_from = models.DateField(_("effective from"))
    charge_incentive_bp = models.PositiveIntegerField(
        _("charging incentive (basis points)"), default=0
    )
    cashback_bp = models.PositiveIntegerField(_("cashback (basis points)"), default=0)
    monthly_charge_limit = models.BigIntegerField(_("monthly charge limit (won)"))
    annual_charge_limit = models.BigIntegerField(
        _("annual charge limit (won)"), null=True, blank=True
    )
    holding_limit = models.BigIntegerField(_("holding limit (won)"), null=True, blank=True)
    monthly_cashback_cap = models.BigIntegerField(_("monthly cashback cap (won)"))
    monthly_incentive_cap = models.BigIntegerField(
        _("monthly charging-incentive cap (won)"), null=True, blank=True
    )
    carry_over = models.BooleanField(_("unused monthly limit carries over"), default=False)
    # What a citizen may give to others from the wallet (solidarity's gifts), sent and not
    # cancelled or returned, per day and per calendar month (Asia/Seoul).
    gift_daily_cap = models.BigIntegerField(
        _("gift cap per day (won)"), default=300_000, db_default=300_000
    )
    gift_monthly_cap = models.BigIntegerField(
        _("gift cap per month (won)"), default=500_000, db_default=500_000
    )
    budget_mode = models.CharField(
        _("when the budget runs low"),
        max_length=20,
        choices=BudgetMode.choices,
        default=BudgetMode.PRORATE,
    )
    # Cashback by the shop's annual-sales bracket, e.g. {"over_3b": 0, "under_300m": 1200};
    # a bracket not listed gets cashback_bp. An override of the cashback moves a listed bracket
    # by as much, except one at 0 (Rules.cashback_rate).
    shop_class_cashback_bp = models.JSONField(default=dict, blank=True)
    # Extra basis points by citizen group, on both cashback and charging incentive.
    citizen_group_bonus_bp = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wallet policy")
        verbose_name_plural = _("wallet policies")
        ordering = ["-effective_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(charge_incentive_bp__lte=5000) & Q(cashback_bp__lte=5000),
                name="vouchers_policy_rates_sane",
            ),
            models.CheckConstraint(
                condition=Q(monthly_charge_limit__gt=0) & Q(monthly_cashback_cap__gte=0),
                name="vouchers_policy_limits_positive",
            ),
            models.CheckConstraint(
                condition=Q(gift_daily_cap__gte=0)
                & Q(gift_monthly_cap__gte=models.F("gift_daily_cap")),
                name="vouchers_policy_gift_caps",
            ),
        ]

    def __str__(self) -> str:
        return f"Policy from {self.effective_from}"


class PolicyOverride(models.Model):
    """Different rules for a date range, e.g. 1,000,000 won and 20% cashback in Jan-Feb."""

    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (inclusive)"))
    monthly_charge_limit = models.BigIntegerField(null=True, blank=True)
    cashback_bp = models.PositiveIntegerField(null=True, blank=True)
    charge_incentive_bp = models.PositiveIntegerField(null=True, blank=True)
    monthly_cashback_cap = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="vouchers_override_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"Override {self.starts_on}..{self.ends_on}"


class IncentiveBudget(models.Model):
    """Money the city puts into the incentive budget for a period (posted to its shards)."""

    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("period start"))
    ends_on = models.DateField(_("period end"))
    amount = models.BigIntegerField(_("amount (won)"))
    entry = models.ForeignKey("ledger.Entry", null=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="vouchers_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class MonthlyUsage(models.Model):
    """What a citizen charged and received in one month: the row locked to check the limits."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # first day of the month
    charged = models.BigIntegerField(default=0)
    incentive = models.BigIntegerField(default=0)
    cashback = models.BigIntegerField(default=0)
    carried_in = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="vouchers_usage_one_per_month"),
            models.CheckConstraint(
                condition=Q(charged__gte=0) & Q(incentive__gte=0) & Q(cashback__gte=0),
                name="vouchers_usage_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}"


class Charge(models.Model):
    """Money a citizen puts into the wallet through the payment provider."""

    class Status(models.TextChoices):
        CREATED = "created", _("Waiting for payment")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(_("amount (won)"))
    incentive = models.BigIntegerField(_("incentive (won)"), default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    provider = models.CharField(max_length=30, default="sandbox")
    order_id = models.CharField(max_length=64, unique=True)
    provider_payment_key = models.CharField(max_length=100, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    # For a pledge paid through the provider: the pledge waiting for this charge.
    purpose = models.CharField(max_length=20, default="wallet")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    business_date = models.DateField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    entry = models.ForeignKey("ledger.Entry", null=True, on_delete=models.PROTECT, related_name="+")
    # The charging incentive's own entry (none when no incentive was granted).
    incentive_entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The refund of the remaining balance that paid this charge back (a wallet charge counts
    # toward the refund rule until then, and cannot be cancelled after).
    refund = models.ForeignKey(
        "vouchers.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charges",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(incentive__gte=0), name="vouchers_charge_amounts"
            ),
            models.CheckConstraint(
                condition=Q(refund__isnull=True) | Q(purpose="wallet", status="paid"),
                name="vouchers_charge_refunded_is_a_paid_wallet_charge",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"Charge {self.order_id} {self.amount}"

    # Why a charge still waiting for the provider was closed here (``charge_cancel``).
    CLOSED_BY_CITIZEN = "charge.cancelled"
    CLOSED_EXPIRED = "charge.expired"

    # What a citizen reads for the provider's event types kept in ``failure_reason`` (and for
    # the two above); any other reason there is already a sentence (a limit refused at the
    # callback).
    FAILURE_TEXTS = {
        "payment.failed": _("The card company declined the payment. No money was taken."),
        "payment.cancelled": _("The payment was cancelled before it finished. No money was taken."),
        CLOSED_BY_CITIZEN: _("You cancelled this payment before it was made. No money was taken."),
        CLOSED_EXPIRED: _(
            "The payment was not finished within an hour, so it was closed. No money was taken."
        ),
    }

    @property
    def failure_text(self) -> str:
        """Why the charge did not go through, in words for the citizen (never a code)."""
        reason = self.failure_reason
        if reason in self.FAILURE_TEXTS:
            return str(self.FAILURE_TEXTS[reason])
        if not reason or (reason.isascii() and " " not in reason):
            return str(self.FAILURE_TEXTS["payment.failed"])
        return reason


class ProviderEvent(models.Model):
    """A callback from the payment provider, kept once per event id (replays are refused)."""

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=50)
    order_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(db_default=Now())
    outcome = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="vouchers_provider_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class Payment(models.Model):
    """A wallet payment at a shop, with how it was split and the cashback it earned."""

    class Method(models.TextChoices):
        CUSTOMER_CODE = "customer_code", _("Customer's code at the counter")
        SHOP_QR = "shop_qr", _("Shop's QR scanned by the customer")
        PLEDGE = "pledge", _("Prepayment pledge")

    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    from_principal = models.BigIntegerField()
    from_incentive = models.BigIntegerField()
    # Paid from a grant balance (grants app; spent first where the programme allows the shop).
    from_grant = models.BigIntegerField(default=0, db_default=0)
    cashback = models.BigIntegerField(default=0)
    method = models.CharField(max_length=20, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COMPLETED)
    device = models.ForeignKey(
        "merchants.Device", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    business_date = models.DateField()
    created_at = models.DateTimeField(db_default=Now())
    entry = models.ForeignKey("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    # The cashback's own entry, for payments made before vouchers migration 0004; since then the
    # cashback's postings are in ``entry`` and this stays empty.
    cashback_entry = models.ForeignKey(
        "ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(from_principal__gte=0)
                & Q(from_incentive__gte=0)
                & Q(from_grant__gte=0)
                & Q(cashback__gte=0)
                & Q(
                    amount=models.F("from_principal")
                    + models.F("from_incentive")
                    + models.F("from_grant")
                ),
                name="vouchers_payment_split_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["shop", "-created_at"]),
            models.Index(fields=["business_date", "shop"]),
        ]

    def __str__(self) -> str:
        return f"Payment #{self.pk} {self.amount}"


class Refund(models.Model):
    """The remaining balance paid back (principal) and the incentive returned to the budget.

    The wallet charges it paid back point to it (``Charge.refund``). Reversed by staff when the
    bank transfer to the citizen came back (``refund_reverse``): the principal returns to the
    wallet and its charges count again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    principal = models.BigIntegerField()
    incentive_returned = models.BigIntegerField()
    charged_base = models.BigIntegerField()
    used_ratio_bp = models.PositiveIntegerField()
    entry = models.ForeignKey("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_default=Now())
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Refund #{self.pk} {self.principal}"


class ProviderCall(models.Model):
    """A call to a payment provider that must happen once the ledger side has committed (the
    outbox): written in the same transaction as the ledger entry it follows, delivered after
    commit, and retried until the provider confirms. One per charge and kind."""

    class Kind(models.TextChoices):
        CANCEL = "cancel", _("Give the card payment back")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DONE = "done", _("Confirmed by the provider")

    provider = models.CharField(max_length=30)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="provider_calls")
    payment_key = models.CharField(max_length=100)
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Python's clock, like the deliverer's that compares with them.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["charge", "kind"], name="vouchers_providercall_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="vouchers_providercall_amount"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="vouchers_providercall_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.charge_id} ({self.status})"


class ProviderDiscrepancy(models.Model):
    """A difference between a payment provider's records and ours that needs a person: found by a
    provider's event (a refund made at the provider after the money was spent) or by the nightly
    reconciliation. Staff resolve it with a note; it is never deleted."""

    class Kind(models.TextChoices):
        REFUNDED_AT_PROVIDER = "refunded_at_provider", _("Refunded at the provider, spent here")
        NOT_CREDITED = "not_credited", _("Approved at the provider, not credited here")
        NOT_CANCELLED_AT_PROVIDER = (
            "not_cancelled_at_provider",
            _("Cancelled here, still paid at the provider"),
        )
        AMOUNT = "amount", _("Amounts differ")
        UNKNOWN_ORDER = "unknown_order", _("Unknown to us")
        TOTALS = "totals", _("What the provider owes differs from the ledger")

    provider = models.CharField(max_length=30)
    order_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    charge = models.ForeignKey(
        Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField(default=0)
    detail = models.CharField(max_length=300, blank=True)
    business_date = models.DateField()
    found_at = models.DateTimeField(db_default=Now())
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "order_id", "kind"], name="vouchers_discrepancy_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.order_id}: {self.kind}"


class ProviderPayout(models.Model):
    """A payout a provider made to the city's float account, as recorded in the ledger (the
    clearing account down, the float up) by the nightly reconciliation. One per provider payout."""

    provider = models.CharField(max_length=30)
    payout_id = models.CharField(max_length=100)
    payout_date = models.DateField()
    amount = models.BigIntegerField()  # may be negative: more given back than taken that day
    fee = models.BigIntegerField(default=0)  # kept by the provider
    entry = models.ForeignKey("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "payout_id"], name="vouchers_payout_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} payout {self.payout_id} {self.amount}"


class ProviderReconciliation(models.Model):
    """One nightly comparison of a provider's records with the ledger (re-run: replaced)."""

    provider = models.CharField(max_length=30)
    business_date = models.DateField()
    orders_compared = models.PositiveIntegerField(default=0)
    provider_owes = models.BigIntegerField(default=0)  # by the provider's own records
    clearing_owes = models.BigIntegerField(default=0)  # by the ledger's clearing accounts
    differences = models.PositiveIntegerField(default=0)
    payouts_recorded = models.PositiveIntegerField(default=0)
    calls_sent = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=list)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-business_date", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "business_date"], name="vouchers_reconciliation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.business_date}"

    @property
    def agrees(self) -> bool:
        return self.differences == 0 and self.provider_owes == self.clearing_owes


from .models_sandbox import SandboxPayment, SandboxPayout  # noqa: E402, F401 - the sandbox gateway's tables


class CapDecision(models.Model):
    """What the nightly run decided about incentives from the budget left and the recent burn,
    with the figures it decided from (``inputs``). The latest decision in force on a day caps
    the cashback and charging-incentive rates of that day at ``rate_bp`` (see ``rules.py``);
    ``rate_bp`` None leaves the policy's rates alone (first come, first served, or a budget
    that lasts). One per business date of the run that made it."""

    business_date = models.DateField(_("decided on the run of"), unique=True)
    effective_from = models.DateField(_("in force from"))
    valid_until = models.DateField(_("in force until"))
    mode = models.CharField(_("budget mode"), max_length=20, choices=BudgetMode.choices)
    rate_bp = models.PositiveIntegerField(_("rate ceiling (basis points)"), null=True, blank=True)
    policy_rate_bp = models.PositiveIntegerField(_("policy rate (basis points)"), default=0)
    remaining = models.BigIntegerField(_("budget left (won)"))
    burn = models.BigIntegerField(_("granted in the recent days (won)"))
    burn_days = models.PositiveSmallIntegerField(_("days of burn measured"))
    days_left = models.PositiveIntegerField(_("days left in the period"))
    runs_out_on = models.DateField(_("runs out on at the recent pace"), null=True, blank=True)
    inputs = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("incentive cap decision")
        verbose_name_plural = _("incentive cap decisions")
        ordering = ["-effective_from", "-id"]
        indexes = [models.Index(fields=["effective_from", "valid_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("effective_from")),
                name="vouchers_capdecision_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"Cap decision {self.business_date}"
