"""Good rental (착한 임대): landlords cut a tenant shop's rent and both sign online.

A landlord registers a ``Property`` (an address and a unit) and a ``Lease`` of it to a tenant
shop (monthly rent and deposit in whole won). Later lease records (a rent change during the
lease, or a renewal) are new ``Lease`` rows chained by ``previous``, so the rent history is kept
and a rent rise can flag an agreement for claw-back.

An ``Agreement`` is the rent-reduction proposal on one lease record: a rate (basis points) or a
monthly amount, for ``months`` months from ``start_date`` to ``end_date``. Its terms are frozen
as canonical JSON (``terms``) whose SHA-256 is ``terms_hash``; every ``Signature`` records the
hash it was given on, so a signature is current only while ``terms_hash`` is unchanged.

``RentalPolicy`` rows are the city's rules and reliefs, each in force from its
``effective_from`` date until the next row. ``AgreementEvent`` is the history support staff read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class RentalPolicy(models.Model):
    """What counts as a good-rental agreement and the landlord's reliefs, from a date on."""

    effective_from = models.DateField(_("in force from"), unique=True)
    min_reduction_bp = models.PositiveIntegerField(
        _("minimum reduction (basis points)"), default=1000
    )
    min_months = models.PositiveSmallIntegerField(_("minimum months"), default=3)
    property_tax_cut_bp = models.PositiveIntegerField(
        _("property-tax cut on the leased area (basis points)"), default=0
    )
    national_credit_bp = models.PositiveIntegerField(
        _("national credit (basis points of the reduction)"), default=7000
    )
    national_credit_high_income_bp = models.PositiveIntegerField(
        _("national credit above the income threshold (basis points)"), default=5000
    )
    high_income_threshold = models.BigIntegerField(
        _("landlord income threshold (won)"), default=100_000_000
    )
    renewal_cap_bp = models.PositiveIntegerField(
        _("largest rent rise at renewal (basis points)"), default=500
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rental policy")
        verbose_name_plural = _("rental policies")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_reduction_bp__gte=1, min_reduction_bp__lte=10000),
                name="rentals_policy_min_reduction_range",
            ),
            models.CheckConstraint(
                condition=Q(min_months__gte=1, min_months__lte=60),
                name="rentals_policy_min_months_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    property_tax_cut_bp__lte=10000,
                    national_credit_bp__lte=10000,
                    national_credit_high_income_bp__lte=10000,
                    renewal_cap_bp__lte=10000,
                ),
                name="rentals_policy_rates_at_most_100pct",
            ),
            models.CheckConstraint(
                condition=Q(high_income_threshold__gte=0),
                name="rentals_policy_threshold_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"RentalPolicy from {self.effective_from}"


class Property(models.Model):
    """A leased unit: the address, the unit and the district (dong) the report groups by."""

    landlord = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rental_properties"
    )
    address = models.CharField(_("address"), max_length=200)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    district = models.CharField(_("district (dong)"), max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("property")
        verbose_name_plural = _("properties")
        ordering = ["address", "unit", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["landlord", "address", "unit"], name="rentals_property_unique"
            )
        ]
        indexes = [models.Index(fields=["district"])]

    def __str__(self) -> str:
        return f"{self.address} {self.unit}".strip()


class Lease(models.Model):
    """One lease record of a property to a tenant shop. A rent change or a renewal is a new
    record pointing at the one it follows; the record with no successor is the current one."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Lease")
        CHANGE = "change", _("Rent change")
        RENEWAL = "renewal", _("Renewal")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="leases")
    tenant_shop = models.ForeignKey(
        "merchants.Shop", on_delete=models.PROTECT, related_name="rental_leases"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INITIAL)
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_record",
        help_text="The lease record this one changes or renews (at most one successor each).",
    )
    monthly_rent = models.BigIntegerField(_("monthly rent (won)"))
    deposit = models.BigIntegerField(_("deposit (won)"), default=0)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_rent__gt=0), name="rentals_lease_rent_positive"
            ),
            models.CheckConstraint(
                condition=Q(deposit__gte=0), name="rentals_lease_deposit_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="rentals_lease_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(kind="initial", previous__isnull=True)
                | Q(kind__in=["change", "renewal"], previous__isnull=False),
                name="rentals_lease_kind_matches_previous",
            ),
        ]
        indexes = [models.Index(fields=["property", "tenant_shop"])]

    def __str__(self) -> str:
        return f"{self.property} → {self.tenant_shop_id} ({self.start_date}~{self.end_date})"


class Agreement(models.Model):
    """A rent-reduction agreement on one lease record.

    ``rent_before`` is the pre-cut monthly rent (the lease record's rent when proposed). The
    reduction is a rate (``reduction_rate_bp``) or a monthly amount (``reduction_amount``);
    ``monthly_reduction`` and ``total_reduction`` are computed once by ``rentals.rules`` and
    stored, so reports sum whole won. ``property_tax_amount`` and ``income_over_threshold`` are
    the landlord's own declarations for the relief estimates: not terms, not signed.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for the tenant")
        SIGNED = "signed", _("Signed by both")
        DECLINED = "declined", _("Declined by the tenant")
        VERIFIED = "verified", _("Verified by the city")
        REJECTED = "rejected", _("Rejected by the city")

    class ReductionKind(models.TextChoices):
        RATE = "rate", _("A rate")
        AMOUNT = "amount", _("An amount")

    class Clawback(models.TextChoices):
        NONE = "", _("None")
        ABOVE_PRE_CUT = "above_pre_cut", _("Rent raised above the pre-cut level")
        RENEWAL_OVER_CAP = "renewal_over_cap", _("Renewal raised the rent by more than the cap")

    lease = models.ForeignKey(Lease, on_delete=models.PROTECT, related_name="agreements")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    # --- The terms (signed) ---
    rent_before = models.BigIntegerField(_("monthly rent before the cut (won)"))
    reduction_kind = models.CharField(
        _("reduction given as"), max_length=10, choices=ReductionKind.choices
    )
    reduction_rate_bp = models.PositiveIntegerField(
        _("reduction rate (basis points)"), null=True, blank=True
    )
    reduction_amount = models.BigIntegerField(
        _("monthly reduction amount (won)"), null=True, blank=True
    )
    monthly_reduction = models.BigIntegerField(_("monthly reduction (won)"))
    months = models.PositiveSmallIntegerField(_("months covered"))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    total_reduction = models.BigIntegerField(_("total reduction (won)"))
    terms_version = models.PositiveIntegerField(default=1)
    terms = models.JSONField(default=dict, help_text="The canonical terms that are signed.")
    terms_hash = models.CharField(max_length=64)
    # --- The landlord's declarations for the relief estimates (not signed) ---
    property_tax_amount = models.BigIntegerField(
        _("annual property tax on the leased unit (won)"), default=0
    )
    income_over_threshold = models.BooleanField(
        _("landlord income over the threshold"), default=False
    )
    # --- The city's decision ---
    status_reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # --- Claw-back: a later lease record raised the rent too early or too much ---
    clawback = models.CharField(
        _("claw-back flag"), max_length=20, choices=Clawback.choices, default="", blank=True
    )
    clawback_lease = models.ForeignKey(
        Lease, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clawback_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rent-reduction agreement")
        verbose_name_plural = _("rent-reduction agreements")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("propose_agreement", "Can register properties and propose rent reductions"),
            ("verify_agreement", "Can verify or reject rent-reduction agreements"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "signed", "declined", "verified", "rejected"]),
                name="rentals_agreement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    reduction_kind="rate",
                    reduction_rate_bp__isnull=False,
                    reduction_amount__isnull=True,
                )
                | Q(
                    reduction_kind="amount",
                    reduction_rate_bp__isnull=True,
                    reduction_amount__isnull=False,
                ),
                name="rentals_agreement_reduction_one_kind",
            ),
            models.CheckConstraint(
                condition=Q(monthly_reduction__gt=0, monthly_reduction__lte=F("rent_before")),
                name="rentals_agreement_reduction_within_rent",
            ),
            models.CheckConstraint(
                condition=Q(total_reduction=F("monthly_reduction") * F("months")),
                name="rentals_agreement_total_is_monthly_times_months",
            ),
            models.CheckConstraint(
                condition=Q(months__gte=1), name="rentals_agreement_months_positive"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="rentals_agreement_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(property_tax_amount__gte=0),
                name="rentals_agreement_property_tax_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"Agreement #{self.pk}"

    @property
    def rent_after(self) -> int:
        return self.rent_before - self.monthly_reduction

    @property
    def is_flagged(self) -> bool:
        return bool(self.clawback)


class Signature(models.Model):
    """A party's signature: who, when, and the SHA-256 of the exact terms they signed."""

    class Party(models.TextChoices):
        LANDLORD = "landlord", _("Landlord")
        TENANT = "tenant", _("Tenant")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatures")
    party = models.CharField(max_length=10, choices=Party.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    terms_hash = models.CharField(max_length=64)
    terms_version = models.PositiveIntegerField()
    signed_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "party", "terms_hash"], name="rentals_signature_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.party} signature on agreement {self.agreement_id}"


EVENT_LABELS = {
    "proposed": _("Proposed and signed by the landlord"),
    "terms_changed": _("Terms changed and signed by the landlord"),
    "reliefs_declared": _("Relief details updated by the landlord"),
    "signed": _("Signed by the tenant"),
    "declined": _("Declined by the tenant"),
    "verified": _("Verified by the city"),
    "rejected": _("Rejected by the city"),
    "clawback_flagged": _("Flagged: a later rent rise claws the credit back"),
}


class AgreementEvent(models.Model):
    """Every status change of an agreement (and every change of its terms or flags)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    terms_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.action}"

    @property
    def action_label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))
