"""City without dismissal (해고 없는 도시): employers pledge to keep jobs and report headcount.

The city publishes a ``PledgeRound``: the declaration's text, its term, the headcount tolerance
and the incentives (won per retained worker a month, from the round's budget in the ledger's
``workplace_budget`` account, shard = round id). An employer registers a ``Workplace`` (business
number, district, industry, size, baseline headcount) with an ``EvidenceDocument`` (the
employment-insurance roster export, stored privately; every view is a ``DocumentView`` row).

A ``Declaration`` joins a workplace to a round. Its text is frozen with the SHA-256 of it
(``text_hash``); the employer and the workers' representative each leave a ``Signature`` with
the hash they signed and their consent; staff verify it, and the workplace is listed publicly.

Each month the employer (or staff, by import) files a ``MonthlyReport``. A dismissal, or a
headcount below the tolerance not explained by accepted departures, opens a ``Case``; so does a
report still missing after the reminder, and a worker's confidential ``WorkerReport``. The
monthly run pays an ``IncentivePayment`` per declaration and month (once); a confirmed breach
stops the incentives and books a ``Clawback`` the employer owes (ledger ``employer_receivable``).
A dismissed worker's ``HelpRequest`` is matched by staff with workplaces declaring openings.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class PledgeRound(models.Model):
    """One round of the declaration: its text and term, and the incentives staff set for it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Open for pledges")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("declaration text"))
    text_hash = models.CharField(max_length=64, blank=True)
    starts_on = models.DateField(_("term from"))
    ends_on = models.DateField(_("term until"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    tolerance_bp = models.PositiveIntegerField(
        _("headcount tolerance (basis points of the baseline)"), default=1000
    )
    premium_support = models.BigIntegerField(
        _("social-insurance premium support per retained worker a month (won)"), default=0
    )
    loan_interest_support = models.BigIntegerField(
        _("loan interest support per retained worker a month (won)"), default=0
    )
    pay_in_gift_certificates = models.BooleanField(
        _("pay in Love Gift Certificates"), default=False
    )
    clawback_months = models.PositiveSmallIntegerField(
        _("months of incentives clawed back on a breach (0 = all)"), default=0
    )
    tax_deferral_months = models.PositiveSmallIntegerField(
        _("local taxes deferred by (months)"), default=0
    )
    priority_points = models.PositiveSmallIntegerField(
        _("priority points in city support programmes"), default=0
    )
    other_benefits = models.TextField(_("other benefits"), blank=True)
    budget = models.BigIntegerField(_("budget (won)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pledge round")
        verbose_name_plural = _("pledge rounds")
        ordering = ["-starts_on", "-id"]
        permissions = [("manage_workplaces", "Can run the city-without-dismissal programme")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="workplaces_round_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(tolerance_bp__lte=10000), name="workplaces_round_tolerance_range"
            ),
            models.CheckConstraint(
                condition=Q(premium_support__gte=0, loan_interest_support__gte=0, budget__gte=0),
                name="workplaces_round_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(text_hash=""),
                name="workplaces_round_published_text_hashed",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def per_worker(self) -> int:
        return self.premium_support + self.loan_interest_support


class Workplace(models.Model):
    """A workplace an employer registered. ``shop`` is set when the employer reused the
    details of a shop they own in the city's programme."""

    class Industry(models.TextChoices):
        MANUFACTURING = "manufacturing", _("Manufacturing")
        RETAIL = "retail", _("Wholesale and retail")
        FOOD = "food", _("Accommodation and food")
        TRANSPORT = "transport", _("Transport")
        CONSTRUCTION = "construction", _("Construction")
        SERVICES = "services", _("Business services")
        HEALTH = "health", _("Health and social work")
        OTHER = "other", _("Other")

    class Size(models.TextChoices):
        MICRO = "micro", _("Fewer than 5 workers")
        SMALL = "small", _("5 to 49 workers")
        MEDIUM = "medium", _("50 to 299 workers")
        LARGE = "large", _("300 workers or more")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="workplaces"
    )
    shop = models.ForeignKey(
        "merchants.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("workplace name"), max_length=100)
    business_number = models.CharField(_("business registration number"), max_length=10)
    address = models.CharField(_("address"), max_length=200)
    district = models.CharField(_("district (dong)"), max_length=50)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices)
    baseline_headcount = models.PositiveIntegerField(_("baseline headcount"))
    openings = models.PositiveIntegerField(_("open positions"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("workplace")
        verbose_name_plural = _("workplaces")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_number", "address"], name="workplaces_workplace_unique"
            ),
            models.CheckConstraint(
                condition=Q(baseline_headcount__gte=1), name="workplaces_baseline_positive"
            ),
        ]
        indexes = [models.Index(fields=["district"]), models.Index(fields=["industry"])]

    def __str__(self) -> str:
        return self.name


class EvidenceDocument(models.Model):
    """The baseline's evidence (an employment-insurance roster export), stored outside the
    web root under ``PRIVATE_FILES_ROOT``; ``sha256`` proves the file is the one uploaded."""

    workplace = models.ForeignKey(Workplace, on_delete=models.PROTECT, related_name="documents")
    path = models.CharField(max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class DocumentView(models.Model):
    """Every opening of a private document: who, when."""

    document = models.ForeignKey(EvidenceDocument, on_delete=models.PROTECT, related_name="views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    viewed_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-viewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.viewer_id} viewed {self.document_id}"


class Declaration(models.Model):
    """A workplace's pledge in one round: signed by both parties, verified by staff."""

    class Status(models.TextChoices):
        EMPLOYER_SIGNED = "employer_signed", _("Waiting for the workers' representative")
        SIGNED = "signed", _("Signed by both, waiting for the city")
        VERIFIED = "verified", _("Participating")
        REJECTED = "rejected", _("Rejected by the city")
        BREACHED = "breached", _("Breach confirmed")

    workplace = models.ForeignKey(Workplace, on_delete=models.PROTECT, related_name="declarations")
    round = models.ForeignKey(PledgeRound, on_delete=models.PROTECT, related_name="declarations")
    status = models.CharField(max_length=20, choices=Status.choices)
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    baseline_headcount = models.PositiveIntegerField()
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="represented_declarations"
    )
    status_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    breached_month = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workplace", "round"], name="workplaces_declaration_once_per_round"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["employer_signed", "signed", "verified", "rejected", "breached"]
                ),
                name="workplaces_declaration_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="breached") | Q(breached_month__isnull=False),
                name="workplaces_declaration_breach_has_month",
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"Declaration #{self.pk}"


class Signature(models.Model):
    """Who signed which text (its SHA-256) and when, with the consent they gave."""

    class Party(models.TextChoices):
        EMPLOYER = "employer", _("Employer")
        REPRESENTATIVE = "representative", _("Workers' representative")

    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="signatures"
    )
    party = models.CharField(max_length=20, choices=Party.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text_hash = models.CharField(max_length=64)
    consent = models.BooleanField()
    signed_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "party"], name="workplaces_signature_once_per_party"
            ),
            models.CheckConstraint(condition=Q(consent=True), name="workplaces_signature_consent"),
        ]

    def __str__(self) -> str:
        return f"{self.party} on {self.declaration_id}"


class MonthlyReport(models.Model):
    """A month's headcount on the last day of the month, hires and departures by reason.
    One per declaration and month: a second is refused (the first stands)."""

    class Source(models.TextChoices):
        EMPLOYER = "employer", _("Employer")
        IMPORT = "import", _("Staff import")

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="reports")
    month = models.DateField(help_text="The first day of the month reported.")
    headcount = models.PositiveIntegerField(_("headcount"))
    hires = models.PositiveIntegerField(_("hires"), default=0)
    resignations = models.PositiveIntegerField(_("resignations"), default=0)
    retirements = models.PositiveIntegerField(_("retirements"), default=0)
    fixed_term_ends = models.PositiveIntegerField(_("ends of fixed terms"), default=0)
    dismissals = models.PositiveIntegerField(_("dismissals"), default=0)
    source = models.CharField(max_length=10, choices=Source.choices)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "month"], name="workplaces_report_once_per_month"
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="workplaces_report_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} {self.month:%Y-%m}"

    @property
    def accepted_departures(self) -> int:
        return self.resignations + self.retirements + self.fixed_term_ends


class Case(models.Model):
    """Something staff must look at: a dismissal, a shortfall, a missing report, a worker's
    report. Closing it either accepts the reasons or confirms a breach."""

    class Kind(models.TextChoices):
        DISMISSAL = "dismissal", _("Dismissal reported")
        SHORTFALL = "shortfall", _("Headcount below the tolerance")
        MISSING_REPORT = "missing_report", _("Monthly report missing")
        WORKER_REPORT = "worker_report", _("A worker's report")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Closed: reasons accepted")
        BREACH = "breach", _("Closed: breach confirmed")

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    month = models.DateField(null=True, blank=True)
    report = models.ForeignKey(
        MonthlyReport, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    detail = models.TextField(blank=True)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(db_default=Now())
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # A month's report opens at most one case of each kind (a re-run opens nothing new).
            models.UniqueConstraint(
                fields=["declaration", "kind", "month"],
                condition=~Q(kind="worker_report"),
                name="workplaces_case_once_per_month_kind",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="workplaces_case_closed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"Case #{self.pk} ({self.kind})"


class WorkerReport(models.Model):
    """A worker's confidential report of a dismissal. Only staff read it, with the reporter
    masked until a staff member unmasks it (each unmasking is a ``ReporterUnmask`` row)."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="worker_report")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"Worker report on case {self.case_id}"


class ReporterUnmask(models.Model):
    report = models.ForeignKey(WorkerReport, on_delete=models.PROTECT, related_name="unmasks")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    unmasked_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"{self.staff_id} unmasked {self.report_id}"


class ReportReminder(models.Model):
    """A missing month's report was chased by message (once per declaration and month)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    sent_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "month"], name="workplaces_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.declaration_id} {self.month:%Y-%m}"


class IncentivePayment(models.Model):
    """The incentive of one declaration for one month: retained workers × the round's amount
    per worker, paid from the round's budget (``entry_id``: the ledger entry)."""

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        NO_BUDGET = "no_budget", _("Not paid: the budget ran out")

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="payments")
    month = models.DateField()
    retained = models.PositiveIntegerField()
    per_worker = models.BigIntegerField()
    amount = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices)
    in_gift_certificates = models.BooleanField(default=False)
    entry_id = models.BigIntegerField(null=True, blank=True)
    clawed_back = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "month"], name="workplaces_payment_once_per_month"
            ),
            models.CheckConstraint(
                condition=Q(amount=F("retained") * F("per_worker")),
                name="workplaces_payment_amount_is_workers_times_rate",
            ),
            models.CheckConstraint(
                condition=Q(status="paid", entry_id__isnull=False)
                | Q(status="no_budget", entry_id__isnull=True),
                name="workplaces_payment_paid_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} {self.month:%Y-%m}: {self.amount}"


class Clawback(models.Model):
    """What a confirmed breach claws back: a receivable the employer owes the city."""

    declaration = models.OneToOneField(
        Declaration, on_delete=models.PROTECT, related_name="clawback"
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    repaid = models.BigIntegerField(default=0)
    entry_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, repaid__gte=0, repaid__lte=F("amount")),
                name="workplaces_clawback_amounts",
            )
        ]

    def __str__(self) -> str:
        return f"clawback {self.declaration_id}: {self.amount}"

    @property
    def outstanding(self) -> int:
        return self.amount - self.repaid


class TaxDeferral(models.Model):
    """A local tax deferred for a participating workplace, with its new due date."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="tax_deferrals"
    )
    tax = models.CharField(_("tax"), max_length=100)
    amount = models.BigIntegerField(_("amount (won)"))
    original_due = models.DateField(_("originally due"))
    deferred_due = models.DateField(_("due after deferral"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["deferred_due", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, deferred_due__gt=F("original_due")),
                name="workplaces_deferral_later_and_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tax} {self.deferred_due}"


class HelpRequest(models.Model):
    """A dismissed worker asks for help into a new job; staff match them with workplaces."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a match")
        MATCHED = "matched", _("Matched with a workplace")
        CLOSED = "closed", _("Closed")

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    former_workplace = models.CharField(_("former workplace"), max_length=100)
    wanted_industry = models.CharField(
        _("industry wanted"), max_length=20, choices=Workplace.Industry.choices
    )
    note = models.TextField(_("experience and wishes"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"help request {self.pk}"


class Match(models.Model):
    help_request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="matches")
    workplace = models.ForeignKey(Workplace, on_delete=models.PROTECT, related_name="matches")
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["help_request", "workplace"], name="workplaces_match_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.help_request_id} → {self.workplace_id}"
