"""Every change in the city-without-dismissal programme.

Each service checks who may act and the input, and raises a ``WorkplaceError`` (or a 403/404/409
subclass) before it writes anything. Locks, when a service takes several: the declaration row,
then its cases; the ledger locks its own accounts in id order inside ``entry_post``.
Money moves only through ``ledger.services`` with an idempotency key:

- funding a round: ``outside_world`` → ``workplace_budget`` (shard = round id);
- a month's incentive: ``workplace_budget`` → ``outside_world`` (a transfer to the employer's
  bank account) or the employer's ``wallet_incentive`` (Love Gift Certificates), keyed by
  declaration and month, so a run repeated pays once; the budget account may not go negative,
  so a round is never overspent (a month the budget cannot pay is recorded as not paid);
- a confirmed breach: ``employer_receivable`` (+) against ``outside_world``: what the employer
  owes, which the employer sees on their page; a repayment moves it into the round's budget.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from districts.services import district_check
from jeonju_prepay.db import schema_name
from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.services import Leg, account_get_or_create, entry_post
from merchants import brn
from merchants.models import Shop, ShopMember
from messaging.services import message_request

from . import rules
from .exceptions import (
    CaseStatusError,
    DeclarationStatusError,
    ReportExistsError,
    TextChangedError,
    WorkplaceError,
    WorkplaceNotFoundError,
    WorkplacePermissionError,
)
from .models import (
    Case,
    Clawback,
    Declaration,
    DocumentView,
    EvidenceDocument,
    HelpRequest,
    IncentivePayment,
    Match,
    MonthlyReport,
    PledgeRound,
    ReporterUnmask,
    ReportReminder,
    Signature,
    TaxDeferral,
    WorkerReport,
    Workplace,
)
from .selectors import is_workplace_staff

logger = logging.getLogger(__name__)

MAX_HEADCOUNT = 100_000
MAX_TEXT = 5000
MAX_UPLOAD = 5 * 1024 * 1024
EVIDENCE_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
}


# --- Input checks -----------------------------------------------------------------------------


def _count(value, *, label: str, minimum: int = 0, maximum: int = MAX_HEADCOUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise WorkplaceError(
            _("%(field)s is a whole number from %(min)s to %(max)s.")
            % {"field": label, "min": minimum, "max": maximum}
        )
    return value


def _text(value, *, label: str, max_length: int, required: bool = True) -> str:
    text = str(value or "").replace("\x00", " ").strip()
    if required and not text:
        raise WorkplaceError(_("%(field)s is required.") % {"field": label})
    if len(text) > max_length:
        raise WorkplaceError(
            _("%(field)s is at most %(n)s characters.") % {"field": label, "n": max_length}
        )
    return text


def _require_staff(user: User) -> None:
    if not is_workplace_staff(user):
        raise WorkplacePermissionError(_("Only city staff can do this."))


def _month(value) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and value.day == 1:
        return value
    month = rules.month_parse(value) if isinstance(value, str) else None
    if month is None:
        raise WorkplaceError(_("The month is written like 2021-03."))
    return month


# --- Rounds -----------------------------------------------------------------------------------


@transaction.atomic
def round_create(
    *,
    by: User,
    title: str,
    text: str,
    starts_on: dt.date,
    ends_on: dt.date,
    tolerance_bp: int = 1000,
    premium_support: int = 0,
    loan_interest_support: int = 0,
    pay_in_gift_certificates: bool = False,
    clawback_months: int = 0,
    tax_deferral_months: int = 0,
    priority_points: int = 0,
    other_benefits: str = "",
) -> PledgeRound:
    """Staff draft a round: the text, the term and the incentives (changed until published)."""
    _require_staff(by)
    if (
        not isinstance(starts_on, dt.date)
        or not isinstance(ends_on, dt.date)
        or ends_on < starts_on
    ):
        raise WorkplaceError(_("The term must end on or after the day it starts."))
    return PledgeRound.objects.create(
        title=_text(title, label=_("Title"), max_length=100),
        text=_text(text, label=_("Declaration text"), max_length=MAX_TEXT),
        starts_on=starts_on,
        ends_on=ends_on,
        tolerance_bp=_count(tolerance_bp, label=_("Tolerance"), maximum=10000),
        premium_support=_count(
            premium_support, label=_("Premium support"), maximum=settings.MONEY_MAX_AMOUNT
        ),
        loan_interest_support=_count(
            loan_interest_support,
            label=_("Loan interest support"),
            maximum=settings.MONEY_MAX_AMOUNT,
        ),
        pay_in_gift_certificates=bool(pay_in_gift_certificates),
        clawback_months=_count(clawback_months, label=_("Months clawed back"), maximum=120),
        tax_deferral_months=_count(tax_deferral_months, label=_("Tax deferral"), maximum=60),
        priority_points=_count(priority_points, label=_("Priority points"), maximum=100),
        other_benefits=_text(
            other_benefits, label=_("Other benefits"), max_length=MAX_TEXT, required=False
        ),
        created_by=by,
    )


@transaction.atomic
def round_publish(*, by: User, pledge_round: PledgeRound) -> PledgeRound:
    """Publish the round: its text is frozen with its fingerprint, and employers may sign."""
    _require_staff(by)
    locked = PledgeRound.objects.select_for_update().get(pk=pledge_round.pk)
    if locked.status != PledgeRound.Status.DRAFT:
        raise DeclarationStatusError(_("This round is published already."))
    locked.text_hash = rules.text_hash(locked.text)
    locked.status = PledgeRound.Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["text_hash", "status", "published_at"])
    return locked


def round_budget_account(pledge_round: PledgeRound) -> Account:
    return account_get_or_create(kind=Account.Kind.WORKPLACE_BUDGET, shard=pledge_round.pk)


@transaction.atomic
def round_fund(*, by: User, pledge_round: PledgeRound, amount: int, idempotency_key: str) -> Entry:
    """Put ``amount`` won of city money into the round's budget (once per key)."""
    _require_staff(by)
    amount = _count(amount, label=_("Amount"), minimum=1, maximum=100_000_000_000)
    locked = PledgeRound.objects.select_for_update().get(pk=pledge_round.pk)
    entry = entry_post(
        kind=Entry.Kind.FUNDING,
        legs=[
            Leg.of(account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD), -amount),
            Leg.of(round_budget_account(locked), amount),
        ],
        idempotency_key=f"workplaces:fund:{locked.pk}:{idempotency_key}",
        actor=by,
        memo=f"workplace round {locked.pk} funding",
    )
    if not entry.replayed:
        locked.budget += amount
        locked.save(update_fields=["budget"])
    return entry


# --- Workplaces and evidence --------------------------------------------------------------------


@transaction.atomic
def workplace_register(
    *,
    owner: User,
    industry: str,
    size: str,
    baseline_headcount: int,
    shop: Shop | None = None,
    name: str = "",
    business_number: str = "",
    address: str = "",
    district: str = "",
) -> Workplace:
    """An employer registers a workplace. With ``shop`` (one they own, approved in the city's
    programme) its name, business number, address and district are reused."""
    if not getattr(owner, "is_authenticated", False):
        raise WorkplacePermissionError()
    if shop is not None:
        if not ShopMember.objects.filter(
            shop=shop, user=owner, role=ShopMember.Role.OWNER
        ).exists():
            raise WorkplacePermissionError(_("You can reuse only the details of a shop you own."))
        name, number, address, district = (
            shop.name,
            shop.business_number,
            shop.address,
            shop.district,
        )
    else:
        reason = brn.problem(business_number)
        if reason is not None:
            raise WorkplaceError(reason)
        number = brn.parse(business_number)
        name = _text(name, label=_("Workplace name"), max_length=100)
        address = _text(address, label=_("Address"), max_length=200)
        district = district_check(_text(district, label=_("District (dong)"), max_length=50))
    if industry not in Workplace.Industry.values:
        raise WorkplaceError(_("Choose the industry from the list."))
    if size not in Workplace.Size.values:
        raise WorkplaceError(_("Choose the size from the list."))
    baseline = _count(baseline_headcount, label=_("Baseline headcount"), minimum=1)
    try:
        with transaction.atomic():
            return Workplace.objects.create(
                owner=owner,
                shop=shop,
                name=name,
                business_number=number,
                address=address,
                district=district,
                industry=industry,
                size=size,
                baseline_headcount=baseline,
            )
    except IntegrityError as exc:
        raise WorkplaceError(
            _("A workplace with this business number and address is registered already.")
        ) from exc


def _own_workplace(workplace: Workplace, user: User) -> Workplace:
    if workplace.owner_id != getattr(user, "pk", None):
        raise WorkplaceNotFoundError()
    return workplace


def _private_root() -> Path:
    return Path(settings.PRIVATE_FILES_ROOT) / schema_name() / "workplaces"


@transaction.atomic
def evidence_upload(
    *, by: User, workplace: Workplace, name: str, content: bytes
) -> EvidenceDocument:
    """Keep the baseline's evidence privately (outside static and media, a random file name)."""
    _own_workplace(workplace, by)
    suffix = Path(name or "").suffix.lower()
    if suffix not in EVIDENCE_TYPES:
        raise WorkplaceError(_("Upload the roster as a CSV, Excel (.xlsx) or PDF file."))
    if not content:
        raise WorkplaceError(_("The file is empty."))
    if len(content) > MAX_UPLOAD:
        raise WorkplaceError(_("The file is larger than 5 MB."))
    root = _private_root()
    root.mkdir(parents=True, exist_ok=True)
    relative = f"{uuid.uuid4().hex}{suffix}"
    (root / relative).write_bytes(content)
    return EvidenceDocument.objects.create(
        workplace=workplace,
        path=relative,
        original_name=_text(Path(name).name, label=_("File name"), max_length=200),
        content_type=EVIDENCE_TYPES[suffix],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=by,
    )


@transaction.atomic
def evidence_open(*, by: User, document: EvidenceDocument) -> bytes:
    """The document's bytes, for its workplace's owner or staff; every opening is logged."""
    if document.workplace.owner_id != by.pk and not is_workplace_staff(by):
        raise WorkplaceNotFoundError()
    path = _private_root() / document.path
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise WorkplaceError(
            _("The file is not available; ask the employer to upload it again.")
        ) from exc
    DocumentView.objects.create(document=document, viewer=by)
    return content


@transaction.atomic
def workplace_set_openings(*, owner: User, workplace: Workplace, openings: int) -> Workplace:
    _own_workplace(workplace, owner)
    workplace.openings = _count(openings, label=_("Open positions"))
    workplace.save(update_fields=["openings"])
    return workplace


# --- Declarations: two-party signing -------------------------------------------------------------


def _lock_declaration(declaration: Declaration) -> Declaration:
    locked = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("workplace", "round")
        .filter(pk=declaration.pk)
        .first()
    )
    if locked is None:
        raise WorkplaceNotFoundError()
    return locked


@transaction.atomic
def declaration_sign_employer(
    *,
    employer: User,
    workplace: Workplace,
    pledge_round: PledgeRound,
    representative_email: str,
    text_hash: str,
    consent: bool,
) -> Declaration:
    """The employer signs the round's text (identified by the fingerprint they read) and names
    the workers' representative, who co-signs next."""
    _own_workplace(workplace, employer)
    if not consent:
        raise WorkplaceError(_("Agree to the collection and use of the data to sign."))
    round_ = PledgeRound.objects.filter(pk=pledge_round.pk).first()
    if round_ is None or round_.status != PledgeRound.Status.PUBLISHED:
        raise DeclarationStatusError(_("This round is not open for pledges."))
    if text_hash != round_.text_hash:
        raise TextChangedError()
    email = (representative_email or "").strip().lower()
    representative = User.objects.filter(email__iexact=email).first() if email else None
    if representative is None:
        raise WorkplaceError(
            _(
                "No one with this email address has signed up. Ask the workers' representative to sign up first."
            )
        )
    if representative.pk == employer.pk:
        raise WorkplaceError(
            _("The workers' representative must be someone other than the employer.")
        )
    try:
        with transaction.atomic():
            declaration = Declaration.objects.create(
                workplace=workplace,
                round=round_,
                status=Declaration.Status.EMPLOYER_SIGNED,
                text=round_.text,
                text_hash=round_.text_hash,
                baseline_headcount=workplace.baseline_headcount,
                representative=representative,
            )
    except IntegrityError as exc:
        raise DeclarationStatusError(
            _("This workplace has pledged in this round already.")
        ) from exc
    Signature.objects.create(
        declaration=declaration,
        party=Signature.Party.EMPLOYER,
        signer=employer,
        text_hash=declaration.text_hash,
        consent=True,
    )
    return declaration


@transaction.atomic
def declaration_sign_representative(
    *, by: User, declaration: Declaration, text_hash: str, consent: bool
) -> Declaration:
    """The workers' representative co-signs the same text. Locks the declaration."""
    declaration = _lock_declaration(declaration)
    if declaration.representative_id != by.pk:
        raise WorkplaceNotFoundError()
    if not consent:
        raise WorkplaceError(_("Agree to the collection and use of the data to sign."))
    if declaration.status != Declaration.Status.EMPLOYER_SIGNED:
        raise DeclarationStatusError(_("This declaration does not wait for your signature."))
    if text_hash != declaration.text_hash:
        raise TextChangedError()
    Signature.objects.create(
        declaration=declaration,
        party=Signature.Party.REPRESENTATIVE,
        signer=by,
        text_hash=declaration.text_hash,
        consent=True,
    )
    declaration.status = Declaration.Status.SIGNED
    declaration.save(update_fields=["status"])
    return declaration


@transaction.atomic
def declaration_verify(*, by: User, declaration: Declaration) -> Declaration:
    """Staff verify a declaration both parties signed on the round's text; the workplace is
    then listed publicly. Locks the declaration."""
    _require_staff(by)
    declaration = _lock_declaration(declaration)
    if declaration.workplace.owner_id == by.pk or declaration.representative_id == by.pk:
        raise WorkplacePermissionError(
            _("You signed this declaration; another staff member verifies it.")
        )
    if declaration.status != Declaration.Status.SIGNED:
        raise DeclarationStatusError(
            _("Only a declaration signed by both parties can be verified.")
        )
    parties = set(
        declaration.signatures.filter(text_hash=declaration.round.text_hash).values_list(
            "party", flat=True
        )
    )
    if parties != {Signature.Party.EMPLOYER, Signature.Party.REPRESENTATIVE}:
        raise TextChangedError(_("The signatures do not match the round's text."))
    declaration.status = Declaration.Status.VERIFIED
    declaration.decided_by = by
    declaration.decided_at = timezone.now()
    declaration.save(update_fields=["status", "decided_by", "decided_at"])
    return declaration


@transaction.atomic
def declaration_reject(*, by: User, declaration: Declaration, reason: str) -> Declaration:
    _require_staff(by)
    reason = _text(reason, label=_("Reason"), max_length=1000)
    declaration = _lock_declaration(declaration)
    if declaration.status not in (Declaration.Status.EMPLOYER_SIGNED, Declaration.Status.SIGNED):
        raise DeclarationStatusError(_("This declaration cannot be rejected now."))
    declaration.status = Declaration.Status.REJECTED
    declaration.status_reason = reason
    declaration.decided_by = by
    declaration.decided_at = timezone.now()
    declaration.save(update_fields=["status", "status_reason", "decided_by", "decided_at"])
    return declaration


# --- Monthly reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportInput:
    month: dt.date
    headcount: int
    hires: int = 0
    resignations: int = 0
    retirements: int = 0
    fixed_term_ends: int = 0
    dismissals: int = 0


DEPARTURE_REASONS = {
    "resignation": "resignations",
    "retirement": "retirements",
    "fixed_term_end": "fixed_term_ends",
    "dismissal": "dismissals",
}


def report_input(*, month, headcount, hires=0, departures=()) -> ReportInput:
    """A report from the API's shape: ``departures`` is a list of ``{"reason", "count"}``."""
    counts = dict.fromkeys(DEPARTURE_REASONS.values(), 0)
    for item in departures or ():
        if not isinstance(item, dict) or item.get("reason") not in DEPARTURE_REASONS:
            raise WorkplaceError(
                _(
                    "Each departure has a reason (resignation, retirement, fixed_term_end or dismissal) and a count."
                )
            )
        field = DEPARTURE_REASONS[item["reason"]]
        counts[field] += _count(item.get("count"), label=_("Departures"))
    return ReportInput(
        month=_month(month),
        headcount=_count(headcount, label=_("Headcount")),
        hires=_count(hires, label=_("Hires")),
        **counts,
    )


def _check_report(declaration: Declaration, data: ReportInput, *, today: dt.date) -> None:
    if declaration.status not in (Declaration.Status.VERIFIED, Declaration.Status.BREACHED):
        raise DeclarationStatusError(
            _("Reports are filed once the city has verified the declaration.")
        )
    round_ = declaration.round
    first = round_.starts_on.replace(day=1)
    if not first <= data.month <= round_.ends_on:
        raise WorkplaceError(
            _("The month must fall within the round's term, %(start)s to %(end)s.")
            % {"start": round_.starts_on, "end": round_.ends_on}
        )
    if data.month >= today.replace(day=1):
        raise WorkplaceError(_("A month is reported once it has ended (its headcount at the end)."))
    for field in (
        "headcount",
        "hires",
        "resignations",
        "retirements",
        "fixed_term_ends",
        "dismissals",
    ):
        _count(getattr(data, field), label=field)


@transaction.atomic
def report_file(
    *,
    by: User,
    declaration: Declaration,
    data: ReportInput,
    source: str = MonthlyReport.Source.EMPLOYER,
) -> MonthlyReport:
    """File a month's report (the employer, or staff by import) and open the cases it calls
    for. A second report for the month is refused (``ReportExistsError``); the first stands.
    Locks the declaration, so two filings of one month queue and the second is refused."""
    declaration = _lock_declaration(declaration)
    if source == MonthlyReport.Source.EMPLOYER:
        if declaration.workplace.owner_id != by.pk:
            raise WorkplaceNotFoundError()
    else:
        _require_staff(by)
    _check_report(declaration, data, today=timezone.localdate())
    if MonthlyReport.objects.filter(declaration=declaration, month=data.month).exists():
        raise ReportExistsError()
    report = MonthlyReport.objects.create(
        declaration=declaration,
        month=data.month,
        headcount=data.headcount,
        hires=data.hires,
        resignations=data.resignations,
        retirements=data.retirements,
        fixed_term_ends=data.fixed_term_ends,
        dismissals=data.dismissals,
        source=source,
        filed_by=by,
    )
    _cases_for_report(declaration, report)
    return report


def _cases_for_report(declaration: Declaration, report: MonthlyReport) -> list[Case]:
    opened = []
    if report.dismissals:
        opened.append(
            Case.objects.create(
                declaration=declaration,
                kind=Case.Kind.DISMISSAL,
                month=report.month,
                report=report,
                detail=_("%(n)s dismissal(s) reported for %(month)s.")
                % {"n": report.dismissals, "month": f"{report.month:%Y-%m}"},
            )
        )
    accepted = (
        MonthlyReport.objects.filter(declaration=declaration, month__lte=report.month).aggregate(
            n=Sum("resignations") + Sum("retirements") + Sum("fixed_term_ends")
        )["n"]
        or 0
    )
    if rules.below_tolerance(
        baseline=declaration.baseline_headcount,
        headcount=report.headcount,
        accepted_departures=accepted,
        tolerance_bp=declaration.round.tolerance_bp,
    ):
        opened.append(
            Case.objects.create(
                declaration=declaration,
                kind=Case.Kind.SHORTFALL,
                month=report.month,
                report=report,
                detail=_(
                    "Headcount %(headcount)s against a baseline of %(baseline)s; accepted "
                    "departures so far %(accepted)s; the round tolerates %(allowed)s."
                )
                % {
                    "headcount": report.headcount,
                    "baseline": declaration.baseline_headcount,
                    "accepted": accepted,
                    "allowed": rules.allowed_shortfall(
                        baseline=declaration.baseline_headcount,
                        tolerance_bp=declaration.round.tolerance_bp,
                    ),
                },
            )
        )
    return opened


IMPORT_COLUMNS = (
    "business_number",
    "month",
    "headcount",
    "hires",
    "resignations",
    "retirements",
    "fixed_term_ends",
    "dismissals",
)


def _import_rows(name: str, content: bytes) -> list[dict]:
    if Path(name or "").suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as exc:
            raise WorkplaceError(_("The Excel file could not be read.")) from exc
        rows = [
            ["" if cell is None else str(cell).strip() for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise WorkplaceError(_("Save the CSV file as UTF-8.")) from exc
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    rows = [row for row in rows if any(row)]
    if not rows or [h.lower() for h in rows[0][: len(IMPORT_COLUMNS)]] != list(IMPORT_COLUMNS):
        raise WorkplaceError(
            _("The first row must name the columns: %(columns)s.")
            % {"columns": ", ".join(IMPORT_COLUMNS)}
        )
    return [dict(zip(IMPORT_COLUMNS, row, strict=False)) for row in rows[1:]]


@transaction.atomic
def reports_import(*, by: User, pledge_round: PledgeRound, name: str, content: bytes) -> int:
    """Staff import a month's roster counts for many workplaces (CSV or .xlsx, columns
    ``IMPORT_COLUMNS``). All rows or none: the first bad row is named and nothing is filed."""
    _require_staff(by)
    if len(content) > MAX_UPLOAD:
        raise WorkplaceError(_("The file is larger than 5 MB."))
    rows = _import_rows(name, content)
    if not rows:
        raise WorkplaceError(_("The file has no rows under its header."))
    filed = 0
    for line, row in enumerate(rows, start=2):
        try:
            number = brn.parse(row.get("business_number", ""))
            declaration = (
                Declaration.objects.filter(round=pledge_round, workplace__business_number=number)
                .order_by("pk")
                .first()
            )
            if declaration is None:
                raise WorkplaceError(_("No declaration in this round has this business number."))
            values = {}
            for column in IMPORT_COLUMNS[2:]:
                raw = row.get(column, "") or "0"
                if not raw.isdigit():
                    raise WorkplaceError(_("%(column)s is a whole number.") % {"column": column})
                values[column] = int(raw)
            data = ReportInput(month=_month(row.get("month", "")), **values)
            report_file(
                by=by, declaration=declaration, data=data, source=MonthlyReport.Source.IMPORT
            )
        except Exception as exc:
            message = getattr(exc, "message", None)
            if message is None:
                raise
            raise WorkplaceError(
                _("Row %(line)s: %(message)s Nothing was imported.")
                % {"line": line, "message": message}
            ) from exc
        filed += 1
    return filed


# --- Missing reports ---------------------------------------------------------------------------


def _expected(month: dt.date):
    """Verified declarations whose round covers ``month`` and which filed no report for it."""
    return (
        Declaration.objects.filter(
            status=Declaration.Status.VERIFIED,
            round__starts_on__lte=rules.month_add(month, 1) - dt.timedelta(days=1),
            round__ends_on__gte=month,
        )
        .exclude(reports__month=month)
        .select_related("workplace")
        .order_by("pk")
    )


def _remind(reminder_id: int) -> None:
    message_request(kind="workplaces.report_missing", object_id=reminder_id)


@transaction.atomic
def reports_chase(*, month: dt.date) -> int:
    """Remind each employer whose report for ``month`` is missing (once per month)."""
    sent = 0
    for declaration in _expected(month):
        reminder, created = ReportReminder.objects.get_or_create(
            declaration=declaration, month=month
        )
        if created:
            transaction.on_commit(partial(_remind, reminder.pk))
            sent += 1
    return sent


@transaction.atomic
def reports_flag_missing(*, month: dt.date) -> int:
    """Open a case for every report of ``month`` still missing after its reminder."""
    flagged = 0
    for declaration in _expected(month).filter(
        pk__in=ReportReminder.objects.filter(month=month).values("declaration_id")
    ):
        _case, created = Case.objects.get_or_create(
            declaration=declaration,
            kind=Case.Kind.MISSING_REPORT,
            month=month,
            defaults={
                "detail": _("No report for %(month)s after a reminder.")
                % {"month": f"{month:%Y-%m}"}
            },
        )
        flagged += int(created)
    return flagged


# --- Cases and breaches -------------------------------------------------------------------------


@transaction.atomic
def case_close(*, by: User, case: Case, breach: bool, note: str) -> Case:
    """Staff close a case: the reasons accepted, or a breach confirmed. A breach stops the
    declaration's incentives and books the clawback the round's rules say (once). Locks the
    declaration, then the case."""
    _require_staff(by)
    note = _text(note, label=_("Note"), max_length=2000)
    declaration = _lock_declaration(case.declaration)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.OPEN:
        raise CaseStatusError()
    case.status = Case.Status.BREACH if breach else Case.Status.ACCEPTED
    case.decision_note = note
    case.decided_by = by
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "decision_note", "decided_by", "closed_at"])
    if breach and declaration.status != Declaration.Status.BREACHED:
        month = case.month or timezone.localdate().replace(day=1)
        declaration.status = Declaration.Status.BREACHED
        declaration.breached_month = month
        declaration.save(update_fields=["status", "breached_month"])
        _clawback_book(declaration=declaration, case=case, by=by)
    return case


def _clawback_book(*, declaration: Declaration, case: Case, by: User) -> Clawback | None:
    round_ = declaration.round
    assert declaration.breached_month is not None
    paid = list(
        IncentivePayment.objects.filter(
            declaration=declaration, status=IncentivePayment.Status.PAID
        ).values_list("month", "amount")
    )
    amount = rules.clawback_amount(
        payments=paid, breach_month=declaration.breached_month, months=round_.clawback_months
    )
    if amount <= 0:
        return None
    entry = entry_post(
        kind=Entry.Kind.CLAWBACK,
        legs=[
            Leg.of(
                account_get_or_create(
                    kind=Account.Kind.EMPLOYER_RECEIVABLE, user=declaration.workplace.owner_id
                ),
                amount,
            ),
            Leg.of(account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD), -amount),
        ],
        idempotency_key=f"workplaces:clawback:{declaration.pk}",
        actor=by,
        memo=f"workplace declaration {declaration.pk} breach",
    )
    first = (
        rules.month_add(declaration.breached_month, -(round_.clawback_months - 1))
        if round_.clawback_months
        else dt.date.min
    )
    IncentivePayment.objects.filter(
        declaration=declaration,
        status=IncentivePayment.Status.PAID,
        month__gte=first,
        month__lte=declaration.breached_month,
    ).update(clawed_back=True)
    return Clawback.objects.create(
        declaration=declaration, case=case, amount=amount, entry_id=entry.pk
    )


@transaction.atomic
def clawback_repay(*, by: User, clawback: Clawback, amount: int, idempotency_key: str) -> Clawback:
    """Staff record the employer's repayment: it returns to the round's budget."""
    _require_staff(by)
    locked = (
        Clawback.objects.select_for_update()
        .select_related("declaration__round", "declaration__workplace")
        .get(pk=clawback.pk)
    )
    amount = _count(amount, label=_("Amount"), minimum=1, maximum=locked.outstanding or 1)
    if amount > locked.outstanding:
        raise WorkplaceError(_("Nothing is outstanding."))
    entry = entry_post(
        kind=Entry.Kind.CLAWBACK,
        legs=[
            Leg.of(
                account_get_or_create(
                    kind=Account.Kind.EMPLOYER_RECEIVABLE,
                    user=locked.declaration.workplace.owner_id,
                ),
                -amount,
            ),
            Leg.of(round_budget_account(locked.declaration.round), amount),
        ],
        idempotency_key=f"workplaces:repay:{locked.pk}:{idempotency_key}",
        actor=by,
        memo=f"workplace clawback {locked.pk} repaid",
    )
    if not entry.replayed:
        locked.repaid += amount
        locked.save(update_fields=["repaid"])
    return locked


# --- Incentives --------------------------------------------------------------------------------


def _month_blocked(declaration: Declaration, month: dt.date) -> bool:
    """An open case on this declaration for this month or before holds the month's pay."""
    return (
        Case.objects.filter(
            declaration=declaration, status=Case.Status.OPEN, month__lte=month
        ).exists()
        or Case.objects.filter(
            declaration=declaration, status=Case.Status.OPEN, month__isnull=True
        ).exists()
    )


@transaction.atomic
def incentive_pay(*, declaration: Declaration, month: dt.date) -> IncentivePayment | None:
    """Pay one declaration's incentive for ``month`` if it is due: verified (not breached), a
    report filed, no open case up to that month, the round's amount per worker above 0. Paid
    at most once (the row's unique key and the ledger key). Returns the row, or None when
    nothing is due yet. Locks the declaration."""
    declaration = _lock_declaration(declaration)
    existing = IncentivePayment.objects.filter(declaration=declaration, month=month).first()
    if existing is not None:
        return existing
    round_ = declaration.round
    if declaration.status != Declaration.Status.VERIFIED or round_.per_worker <= 0:
        return None
    report = MonthlyReport.objects.filter(declaration=declaration, month=month).first()
    if report is None or _month_blocked(declaration, month):
        return None
    retained = rules.retained_workers(
        baseline=declaration.baseline_headcount, headcount=report.headcount
    )
    amount = retained * round_.per_worker
    fields = {
        "declaration": declaration,
        "month": month,
        "retained": retained,
        "per_worker": round_.per_worker,
        "amount": amount,
        "in_gift_certificates": round_.pay_in_gift_certificates,
    }
    if amount == 0:
        return None
    if round_.pay_in_gift_certificates:
        to = account_get_or_create(
            kind=Account.Kind.WALLET_INCENTIVE, user=declaration.workplace.owner_id
        )
    else:
        to = account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD)
    try:
        entry = entry_post(
            kind=Entry.Kind.WORKPLACE_INCENTIVE,
            legs=[Leg.of(round_budget_account(round_), -amount), Leg.of(to, amount)],
            idempotency_key=f"workplaces:incentive:{declaration.pk}:{month:%Y-%m}",
            memo=f"workplace declaration {declaration.pk} {month:%Y-%m}",
        )
    except InsufficientBalanceError:
        return IncentivePayment.objects.create(status=IncentivePayment.Status.NO_BUDGET, **fields)
    return IncentivePayment.objects.create(
        status=IncentivePayment.Status.PAID, entry_id=entry.pk, **fields
    )


def incentives_run(*, month: dt.date) -> dict[str, int]:
    """Pay every incentive due for ``month`` (a closed month). Each declaration in its own
    transaction; running it again pays nothing twice."""
    month = _month(month)
    counts = {"paid": 0, "no_budget": 0, "amount": 0}
    ids = Declaration.objects.filter(
        status=Declaration.Status.VERIFIED, reports__month=month
    ).values_list("pk", flat=True)
    for pk in sorted(ids):
        before = IncentivePayment.objects.filter(declaration_id=pk, month=month).exists()
        payment = incentive_pay(declaration=Declaration(pk=pk), month=month)
        if payment is None or before:
            continue
        counts[payment.status] += 1
        if payment.status == IncentivePayment.Status.PAID:
            counts["amount"] += payment.amount
    return counts


@transaction.atomic
def tax_deferral_record(
    *, by: User, declaration: Declaration, tax: str, amount: int, original_due: dt.date
) -> TaxDeferral:
    """Record a local tax deferred by the round's months (its new due date is computed)."""
    _require_staff(by)
    if declaration.status != Declaration.Status.VERIFIED:
        raise DeclarationStatusError(_("Only participating workplaces get deferrals."))
    months = declaration.round.tax_deferral_months
    if months == 0:
        raise WorkplaceError(_("This round defers no taxes."))
    if not isinstance(original_due, dt.date):
        raise WorkplaceError(_("Give the original due date."))
    return TaxDeferral.objects.create(
        declaration=declaration,
        tax=_text(tax, label=_("Tax"), max_length=100),
        amount=_count(amount, label=_("Amount"), minimum=1, maximum=10_000_000_000),
        original_due=original_due,
        deferred_due=_add_months(original_due, months),
        recorded_by=by,
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Workers ---------------------------------------------------------------------------------------


@transaction.atomic
def worker_report_file(*, by: User, workplace: Workplace, text: str) -> WorkerReport:
    """A worker reports a dismissal confidentially: a case for staff only. The employer
    never sees it; staff see the reporter masked until they unmask it (logged)."""
    if not getattr(by, "is_authenticated", False):
        raise WorkplacePermissionError()
    text = _text(text, label=_("What happened"), max_length=MAX_TEXT)
    declaration = (
        Declaration.objects.filter(
            workplace=workplace,
            status__in=[Declaration.Status.VERIFIED, Declaration.Status.BREACHED],
        )
        .order_by("-pk")
        .first()
    )
    if declaration is None:
        raise WorkplaceError(_("This workplace has not joined the declaration."))
    if workplace.owner_id == by.pk:
        raise WorkplaceError(_("An employer cannot report their own workplace."))
    case = Case.objects.create(
        declaration=declaration,
        kind=Case.Kind.WORKER_REPORT,
        detail=_("A worker reported a dismissal."),
    )
    return WorkerReport.objects.create(case=case, reporter=by, text=text)


@transaction.atomic
def worker_report_unmask(*, by: User, report: WorkerReport, reason: str) -> User:
    """Staff see who reported, with a reason; every unmasking is logged."""
    _require_staff(by)
    reason = _text(reason, label=_("Reason"), max_length=1000)
    ReporterUnmask.objects.create(report=report, staff=by, reason=reason)
    return report.reporter


@transaction.atomic
def help_request_create(
    *, worker: User, former_workplace: str, wanted_industry: str, note: str = ""
) -> HelpRequest:
    if not getattr(worker, "is_authenticated", False):
        raise WorkplacePermissionError()
    if wanted_industry not in Workplace.Industry.values:
        raise WorkplaceError(_("Choose the industry from the list."))
    if HelpRequest.objects.filter(worker=worker, status=HelpRequest.Status.OPEN).exists():
        raise WorkplaceError(_("You have asked for help already; staff will contact you."))
    return HelpRequest.objects.create(
        worker=worker,
        former_workplace=_text(former_workplace, label=_("Former workplace"), max_length=100),
        wanted_industry=wanted_industry,
        note=_text(note, label=_("Experience and wishes"), max_length=MAX_TEXT, required=False),
    )


@transaction.atomic
def match_create(*, by: User, help_request: HelpRequest, workplace: Workplace) -> Match:
    """Staff match a worker with a participating workplace that declared openings."""
    _require_staff(by)
    request = HelpRequest.objects.select_for_update().get(pk=help_request.pk)
    if request.status == HelpRequest.Status.CLOSED:
        raise WorkplaceError(_("This request is closed."))
    if workplace.openings <= 0:
        raise WorkplaceError(_("This workplace has declared no open positions."))
    if not Declaration.objects.filter(
        workplace=workplace, status=Declaration.Status.VERIFIED
    ).exists():
        raise WorkplaceError(_("Match only with participating workplaces."))
    try:
        with transaction.atomic():
            match = Match.objects.create(help_request=request, workplace=workplace, matched_by=by)
    except IntegrityError as exc:
        raise WorkplaceError(_("This match exists already.")) from exc
    request.status = HelpRequest.Status.MATCHED
    request.save(update_fields=["status"])
    return match
