"""Grant programmes: disaster basic income and any grant a city pays into citizens' wallets.

A programme (set by staff) says who may apply (eligibility groups and the evidence each shows),
how much (a fixed amount, or a share of the standard median income by household size), how
people are screened (thresholds checked against lists staff import), when (the application
window, the spending deadline), where the grant may be spent (stricter than the wallet's rules
if the city says so) and the budget. Applications go through review to approval; approved ones
are paid in batches, one ledger entry a batch, into a ``wallet_grant`` account of the citizen
(its shard is the programme's id) from the programme's ``grant_budget`` account (same shard).
At the deadline what is left goes back to the budget, one entry per programme per day.

Money lives only in the ledger; these rows say who, why and when. ``committed`` is the part of
the budget promised to approved applications: the database refuses to promise more than the
budget (a CHECK), which is what makes racing approvals safe.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from merchants.models import Category, SalesBracket

# The standard median income (기준 중위소득) of 2020, won a month by household size, as the
# Ministry of Health and Welfare published it. Jeonju's 2020 grant was 30% of the one-person
# figure: 527,158 won.
MEDIAN_INCOME_2020 = {
    "1": 1_757_194,
    "2": 2_991_980,
    "3": 3_870_577,
    "4": 4_749_174,
    "5": 5_627_771,
    "6": 6_506_368,
    "7": 7_389_715,
}


class Programme(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        OPEN = "open", _("Open for applications")
        CLOSED = "closed", _("Applications closed")
        ENDED = "ended", _("Ended")

    class AmountRule(models.TextChoices):
        FIXED = "fixed", _("A fixed amount")
        MEDIAN_SHARE = "median_share", _("A share of the standard median income")

    class Per(models.TextChoices):
        PERSON = "person", _("One grant per person")
        HOUSEHOLD = "household", _("One grant per household")

    name = models.CharField(_("name"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    amount_rule = models.CharField(
        _("amount rule"), max_length=15, choices=AmountRule.choices, default=AmountRule.FIXED
    )
    fixed_amount = models.BigIntegerField(_("amount (won)"), default=0)
    median_share_bp = models.PositiveIntegerField(
        _("share of the median income (basis points)"), default=0
    )
    median_year = models.PositiveSmallIntegerField(_("year of the median income table"), null=True)
    # {"1": won a month for one person, "2": ..., }
    median_table = models.JSONField(_("median income by household size"), default=dict)
    per = models.CharField(_("one grant per"), max_length=10, choices=Per.choices)
    apply_from = models.DateField(_("applications from"))
    apply_until = models.DateField(_("applications until"))
    spend_until = models.DateField(_("spend until"))
    budget = models.BigIntegerField(_("budget (won)"))
    committed = models.BigIntegerField(_("promised to approved applications (won)"), default=0)
    funded = models.BigIntegerField(_("put into the grant budget account (won)"), default=0)
    health_premium_max = models.BigIntegerField(
        _("highest health-insurance premium (won a month)"), null=True, blank=True
    )
    property_tax_max = models.BigIntegerField(
        _("highest property tax (won a year)"), null=True, blank=True
    )
    # Where the grant may be spent: categories (empty: all the wallet allows), excluded
    # categories, districts (empty: all), the largest sales bracket (empty: any).
    categories = ArrayField(
        models.CharField(max_length=30, choices=Category.choices), default=list, blank=True
    )
    excluded_categories = ArrayField(
        models.CharField(max_length=30, choices=Category.choices), default=list, blank=True
    )
    districts = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    max_sales_bracket = models.CharField(
        _("largest sales bracket"),
        max_length=20,
        choices=SalesBracket.choices,
        blank=True,
        default="",
    )
    cashback_on_grant = models.BooleanField(_("cashback on grant money"), default=False)
    notice_days = models.PositiveSmallIntegerField(
        _("tell holders this many days before the deadline"), default=7
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("grant programme")
        verbose_name_plural = _("grant programmes")
        ordering = ["-apply_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(committed__gte=0) & Q(committed__lte=F("budget")),
                name="grants_programme_committed_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(funded__gte=0) & Q(funded__lte=F("budget")),
                name="grants_programme_funded_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(apply_from__lte=F("apply_until"))
                & Q(apply_until__lte=F("spend_until")),
                name="grants_programme_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(amount_rule="fixed", fixed_amount__gt=0)
                | Q(amount_rule="median_share", median_share_bp__gt=0),
                name="grants_programme_amount_rule",
            ),
        ]
        permissions = [
            ("manage_grants", "Can set up grant programmes, review applications and pay"),
            ("apply_grant", "Can apply for a grant"),
        ]

    def __str__(self) -> str:
        return self.name


class EligibilityGroup(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="groups")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    evidence = models.CharField(_("evidence to show"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="grants_group_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ScreeningImport(models.Model):
    class Kind(models.TextChoices):
        INCOME = "income", _("Premiums and property tax")
        OTHER_AID = "other_aid", _("People already on other support")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(_("list"), max_length=10, choices=Kind.choices)
    filename = models.CharField(max_length=200, blank=True)
    rows = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.rows})"


class ScreeningEntry(models.Model):
    """One person on an imported list, known only by a keyed fingerprint of their identifier
    (``person_key``) and a masked form; the identifier itself is not kept."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(ScreeningImport, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=ScreeningImport.Kind.choices)
    person_key = models.CharField(max_length=64)
    person_masked = models.CharField(max_length=20)
    health_premium = models.BigIntegerField(null=True, blank=True)
    property_tax = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["programme", "person_key", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.person_masked}"


class Application(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        DOCUMENTS_REQUESTED = "documents_requested", _("Documents requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    class Flag(models.TextChoices):
        DUPLICATE_PERSON = "duplicate_person", _("Same person applied already")
        DUPLICATE_HOUSEHOLD = "duplicate_household", _("Same household applied already")
        OTHER_AID = "other_aid", _("Already on other support")
        PREMIUM_OVER = "premium_over", _("Health-insurance premium above the threshold")
        PROPERTY_TAX_OVER = "property_tax_over", _("Property tax above the threshold")
        NOT_ON_LIST = "not_on_list", _("Not on the imported premium list")

    OPEN_STATUSES = (Status.SUBMITTED, Status.DOCUMENTS_REQUESTED)
    LIVE_STATUSES = (*OPEN_STATUSES, Status.APPROVED, Status.PAID)

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grant_applications"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="city staff who entered it at a community centre",
    )
    group = models.ForeignKey(EligibilityGroup, on_delete=models.PROTECT, related_name="+")
    person_key = models.CharField(max_length=64)
    person_masked = models.CharField(max_length=20)
    household_key = models.CharField(max_length=64)
    household_size = models.PositiveSmallIntegerField(default=1)
    amount = models.BigIntegerField(_("amount (won)"))
    declaration_text = models.TextField()
    declaration_hash = models.CharField(max_length=64)
    consented_at = models.DateTimeField()
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    flags = ArrayField(
        models.CharField(max_length=30, choices=Flag.choices), default=list, blank=True
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        "PaymentBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "applicant"], name="grants_application_one_per_person"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="grants_application_amount"),
            models.CheckConstraint(
                condition=Q(status="paid", batch__isnull=False)
                | (~Q(status="paid") & Q(batch__isnull=True)),
                name="grants_application_paid_in_a_batch",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "status"]),
            models.Index(fields=["applicant", "status"]),
            models.Index(fields=["programme", "person_key"]),
            models.Index(fields=["programme", "household_key"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.programme} {self.get_status_display()}"

    @property
    def flag_labels(self) -> list[str]:
        labels = dict(self.Flag.choices)
        return [str(labels.get(flag, flag)) for flag in self.flags]

    @property
    def applicant_masked(self) -> str:
        """The applicant's name as lists show it (김*수)."""
        from .rules import name_mask

        return name_mask(self.applicant.name or self.applicant.get_short_name())


class ApplicationEvent(models.Model):
    """Every change of an application, as support staff read it (who, what, when, why)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} #{self.application_id}"


class Document(models.Model):
    """Evidence uploaded with an application, kept out of the public media folder
    (``PRIVATE_FILES_ROOT``) until ``retain_until``; every view is logged (``DocumentView``)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    label = models.CharField(_("what it shows"), max_length=100)
    path = models.CharField(max_length=300)  # relative to PRIVATE_FILES_ROOT
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    retain_until = models.DateField(_("kept until"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return self.label


class DocumentView(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    viewed_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.viewer_id} viewed {self.document_id}"


class PaymentBatch(models.Model):
    """One run paying every approved, unpaid application of a programme: one ledger entry."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="batches")
    paid = models.PositiveIntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    entry_id = models.BigIntegerField(null=True, blank=True)  # the ledger entry, by number
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"batch #{self.pk}: {self.paid} ({self.amount:,} won)"


class Expiry(models.Model):
    """What was left in the citizens' grant accounts after the deadline, returned to the
    programme's budget on ``business_date``: one a programme a day."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="expiries")
    business_date = models.DateField()
    accounts = models.PositiveIntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    entry_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "business_date"], name="grants_expiry_one_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.business_date}: {self.amount:,} won"


class ExpiryNotice(models.Model):
    """The message a week before the deadline, sent once per programme and citizen."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    balance = models.BigIntegerField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "user"], name="grants_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} → {self.user_id}"
