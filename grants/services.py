"""Every change to grant programmes, applications, payments and expiries.

Money moves only through ``ledger.services``: the programme's budget is funded from the outside
world into its ``grant_budget`` account (shard = the programme's id); a payment batch is one
entry from that account to each citizen's ``wallet_grant`` account of the programme; spending
happens at the counter (``vouchers`` ``wallet_pay()``, whose grant hook is
``grants/sql/wallet_grant_source.sql``); an expiry is one entry a programme a day from every
grant account that still holds money back to the budget.

Lock order (with the wallet's, docs/architecture.md): the programme row, then application
rows, then ledger accounts in id order (inside ``entry_post``).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from jeonju_prepay.db import schema_name
from ledger.models import Account, Entry
from ledger.money import LEDGER_MAX_AMOUNT
from ledger.services import (
    Leg,
    account_get_or_create,
    accounts_lock,
    business_date_today,
    entry_post,
    user_accounts_ensure,
    with_retries,
)
from merchants.models import Category, SalesBracket
from messaging.services import message_request

from .exceptions import (
    AlreadyAppliedError,
    BudgetExhaustedError,
    DecisionError,
    DocumentError,
    GrantError,
    GrantForbiddenError,
    ImportFileError,
    ProgrammeNotOpenError,
)
from .models import (
    Application,
    ApplicationEvent,
    Document,
    DocumentView,
    EligibilityGroup,
    Expiry,
    ExpiryNotice,
    PaymentBatch,
    Programme,
    ScreeningEntry,
    ScreeningImport,
)
from .rules import grant_amount, identifier_mask, identifier_normalise, person_key

MANAGE = "grants.manage_grants"
# Evidence is kept this long after the programme's spending deadline (then purged).
DOCUMENT_RETENTION_DAYS = 5 * 365
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
DECLARATION_VERSION = "2020-03"


def is_grant_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(MANAGE))


def _require_staff(user) -> None:
    if not is_grant_staff(user):
        raise GrantForbiddenError()


def _event(application: Application, *, actor, action: str, from_status="", reason="") -> None:
    ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=application.status,
        reason=reason[:300],
    )


def _won(value, *, label: str, minimum: int = 0, required: bool = True) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        number = int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        raise GrantError(_("%(field)s must be whole won.") % {"field": label}) from None
    if number < minimum or number > LEDGER_MAX_AMOUNT:
        raise GrantError(_("%(field)s is out of range.") % {"field": label})
    return number


# --- Programmes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSpec:
    code: str
    name: str
    evidence: str = ""


@transaction.atomic
def programme_create(
    *,
    by: User,
    name: str,
    per: str,
    apply_from: dt.date,
    apply_until: dt.date,
    spend_until: dt.date,
    budget,
    groups: Iterable[GroupSpec],
    amount_rule: str = Programme.AmountRule.FIXED,
    fixed_amount=0,
    median_share_bp=0,
    median_year: int | None = None,
    median_table: dict | None = None,
    health_premium_max=None,
    property_tax_max=None,
    categories: Iterable[str] = (),
    excluded_categories: Iterable[str] = (),
    districts: Iterable[str] = (),
    max_sales_bracket: str = "",
    cashback_on_grant: bool = False,
) -> Programme:
    """A programme in draft, with its groups. Nothing moves until it is opened."""
    _require_staff(by)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise GrantError(_("Give the programme a name of at most 100 characters."))
    if per not in Programme.Per.values:
        raise GrantError(_("Choose one grant per person or per household."))
    if amount_rule not in Programme.AmountRule.values:
        raise GrantError(_("Choose how the amount is set."))
    if not (apply_from <= apply_until <= spend_until):
        raise GrantError(
            _("The application window must end before (or when) the spending deadline comes.")
        )
    budget = _won(budget, label=_("The budget"), minimum=1)
    fixed = _won(fixed_amount, label=_("The amount")) or 0
    share = _won(median_share_bp, label=_("The share")) or 0
    table = {str(int(k)): int(v) for k, v in (median_table or {}).items()}
    if amount_rule == Programme.AmountRule.FIXED and fixed <= 0:
        raise GrantError(_("Give the amount of one grant."))
    if amount_rule == Programme.AmountRule.MEDIAN_SHARE and (
        not 0 < share <= 10_000 or not table or "1" not in table
    ):
        raise GrantError(
            _("Give the share (1 to 10,000 basis points) and the median income table.")
        )
    for values, allowed in (
        (categories, Category.values),
        (excluded_categories, Category.values),
    ):
        if set(values) - set(allowed):
            raise GrantError(_("Unknown shop category."))
    if max_sales_bracket and max_sales_bracket not in SalesBracket.values:
        raise GrantError(_("Unknown sales bracket."))
    groups = list(groups)
    if not groups:
        raise GrantError(_("A programme needs at least one eligibility group."))
    programme = Programme.objects.create(
        name=name,
        per=per,
        amount_rule=amount_rule,
        fixed_amount=fixed,
        median_share_bp=share,
        median_year=median_year,
        median_table=table,
        apply_from=apply_from,
        apply_until=apply_until,
        spend_until=spend_until,
        budget=budget,
        health_premium_max=_won(health_premium_max, label=_("The premium"), required=False),
        property_tax_max=_won(property_tax_max, label=_("The property tax"), required=False),
        categories=list(categories),
        excluded_categories=list(excluded_categories),
        districts=[d.strip() for d in districts if d.strip()],
        max_sales_bracket=max_sales_bracket,
        cashback_on_grant=cashback_on_grant,
        created_by=by,
    )
    seen = set()
    for group in groups:
        code = (group.code or "").strip()
        if not code or code in seen or not group.name.strip():
            raise GrantError(_("Each group needs its own code and a name."))
        seen.add(code)
        EligibilityGroup.objects.create(
            programme=programme,
            code=code[:30],
            name=group.name.strip()[:100],
            evidence=group.evidence.strip()[:300],
        )
    return programme


def programme_amount(programme: Programme, *, household_size: int = 1) -> int:
    return grant_amount(
        rule=programme.amount_rule,
        fixed_amount=programme.fixed_amount,
        share_bp=programme.median_share_bp,
        table=programme.median_table,
        household_size=household_size,
        per=programme.per,
    )


def _budget_account(programme_id: int) -> Account:
    return account_get_or_create(kind=Account.Kind.GRANT_BUDGET, shard=programme_id)


def programme_open(*, programme: Programme, by: User) -> Programme:
    """Open for applications, funding the programme's budget account with what it lacks (from
    the outside world: the city's money). Idempotent: the funding entry's key names the
    programme and the amount funded so far. Locks the programme row, then the accounts."""
    _require_staff(by)

    def attempt() -> Programme:
        with transaction.atomic():
            locked = Programme.objects.select_for_update().get(pk=programme.pk)
            if locked.status == Programme.Status.ENDED:
                raise GrantError(_("This programme has ended."))
            missing = locked.budget - locked.funded
            if missing > 0:
                entry_post(
                    kind=Entry.Kind.FUNDING,
                    legs=[
                        Leg.of(_budget_account(locked.pk), missing),
                        Leg.of(account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD), -missing),
                    ],
                    idempotency_key=f"grants:fund:{locked.pk}:{locked.funded}",
                    actor=by,
                    memo=f"grant budget: {locked.name}"[:200],
                )
                locked.funded = locked.budget
            locked.status = Programme.Status.OPEN
            locked.save(update_fields=["funded", "status"])
            return locked

    return with_retries(attempt)


@transaction.atomic
def programme_close(*, programme: Programme, by: User) -> Programme:
    """Stop taking applications (review and payment go on)."""
    _require_staff(by)
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    if locked.status != Programme.Status.OPEN:
        raise GrantError(_("Only an open programme can be closed."))
    locked.status = Programme.Status.CLOSED
    locked.save(update_fields=["status"])
    return locked


# --- Screening lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreeningRow:
    identifier: str
    health_premium: int | None = None
    property_tax: int | None = None
    note: str = ""


HEADERS = {
    "identifier": ("identifier", "주민등록번호", "id"),
    "health_premium": ("health_premium", "건강보험료"),
    "property_tax": ("property_tax", "재산세"),
    "note": ("note", "비고"),
}


def screening_rows_parse(*, content: bytes, filename: str) -> list[ScreeningRow]:
    """Rows of a CSV (UTF-8, with a header) or Excel (.xlsx, first sheet) list. Columns:
    ``identifier`` (or 주민등록번호), and optionally ``health_premium`` (건강보험료, won a
    month), ``property_tax`` (재산세, won a year), ``note``. Raises ``ImportFileError``."""
    if filename.lower().endswith(".xlsx"):
        try:
            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
            table = [
                ["" if cell is None else str(cell) for cell in row]
                for row in sheet.iter_rows(values_only=True)
            ]
        except Exception as exc:
            raise ImportFileError(_("This is not a readable Excel file.")) from exc
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(_("Save the CSV file as UTF-8.")) from None
        table = list(csv.reader(io.StringIO(text)))
    if not table:
        raise ImportFileError(_("The file is empty."))
    header = [h.strip().lower() for h in table[0]]
    columns = {}
    for field, names in HEADERS.items():
        for name in names:
            if name in header:
                columns[field] = header.index(name)
                break
    if "identifier" not in columns:
        raise ImportFileError(_("The first row must name an identifier column."))
    rows = []
    for number, raw in enumerate(table[1:], start=2):

        def cell(field, raw=raw):
            index = columns.get(field)
            return raw[index].strip() if index is not None and index < len(raw) else ""

        identifier = identifier_normalise(cell("identifier"))
        if not identifier:
            continue
        try:
            premium = _won(cell("health_premium"), label="premium", required=False)
            tax = _won(cell("property_tax"), label="tax", required=False)
        except GrantError:
            raise ImportFileError(
                _("Row %(row)s: amounts must be whole won.") % {"row": number}
            ) from None
        rows.append(ScreeningRow(identifier, premium, tax, cell("note")[:100]))
    return rows


def screening_import(
    *, programme: Programme, by: User, kind: str, rows: list[ScreeningRow], filename: str = ""
) -> ScreeningImport:
    """Store a list (people's premiums and property tax, or people already on other support)
    by fingerprint, then screen every open application again."""
    _require_staff(by)
    if kind not in ScreeningImport.Kind.values:
        raise ImportFileError(_("Unknown list."))
    if not rows:
        raise ImportFileError(_("The list has no rows."))
    with transaction.atomic():
        source = ScreeningImport.objects.create(
            programme=programme, kind=kind, filename=filename[:200], rows=len(rows), imported_by=by
        )
        ScreeningEntry.objects.bulk_create(
            [
                ScreeningEntry(
                    programme=programme,
                    source=source,
                    kind=kind,
                    person_key=person_key(row.identifier),
                    person_masked=identifier_mask(row.identifier),
                    health_premium=row.health_premium,
                    property_tax=row.property_tax,
                    note=row.note,
                )
                for row in rows
            ],
            batch_size=5000,
        )
        for application in Application.objects.filter(
            programme=programme, status__in=Application.OPEN_STATUSES
        ).select_for_update():
            flags = screening_flags(application=application)
            if flags != application.flags:
                application.flags = flags
                application.save(update_fields=["flags"])
    return source


def screening_flags(*, application: Application) -> list[str]:
    """Why staff should look twice, from the lists and other applications: the same person or
    household applied already, the person is on other support, premium or property tax above
    the programme's thresholds, or missing from an imported premium list."""
    programme = application.programme
    flags: list[str] = []
    live = Application.objects.filter(
        programme=programme, status__in=Application.LIVE_STATUSES
    ).exclude(pk=application.pk)
    if live.filter(person_key=application.person_key).exists():
        flags.append(Application.Flag.DUPLICATE_PERSON)
    if (
        programme.per == Programme.Per.HOUSEHOLD
        and live.filter(household_key=application.household_key).exists()
    ):
        flags.append(Application.Flag.DUPLICATE_HOUSEHOLD)
    entries = list(
        ScreeningEntry.objects.filter(programme=programme, person_key=application.person_key)
    )
    if any(e.kind == ScreeningImport.Kind.OTHER_AID for e in entries):
        flags.append(Application.Flag.OTHER_AID)
    income = [e for e in entries if e.kind == ScreeningImport.Kind.INCOME]
    if income:
        premium = max((e.health_premium or 0) for e in income)
        tax = max((e.property_tax or 0) for e in income)
        if programme.health_premium_max is not None and premium > programme.health_premium_max:
            flags.append(Application.Flag.PREMIUM_OVER)
        if programme.property_tax_max is not None and tax > programme.property_tax_max:
            flags.append(Application.Flag.PROPERTY_TAX_OVER)
    elif (
        programme.health_premium_max is not None or programme.property_tax_max is not None
    ) and ScreeningImport.objects.filter(
        programme=programme, kind=ScreeningImport.Kind.INCOME
    ).exists():
        flags.append(Application.Flag.NOT_ON_LIST)
    return flags


# --- Applications ---------------------------------------------------------------------------------


def declaration_text(programme: Programme, group: EligibilityGroup) -> str:
    """The text the applicant declares and consents to; its SHA-256 is stored with the
    application (who signed what, and when)."""
    return _(
        "I apply for %(programme)s as %(group)s. What I declare is true; I know that a grant "
        "obtained by a false declaration is taken back. I consent to the city checking my "
        "health-insurance premium, property tax and other support with the bodies that hold "
        "them, and to keeping my documents until %(until)s. (version %(version)s)"
    ) % {
        "programme": programme.name,
        "group": group.name,
        "until": document_retain_until(programme).isoformat(),
        "version": DECLARATION_VERSION,
    }


def document_retain_until(programme: Programme) -> dt.date:
    return programme.spend_until + dt.timedelta(days=DOCUMENT_RETENTION_DAYS)


def application_submit(
    *,
    programme: Programme,
    applicant: User,
    group_code: str,
    identifier: str,
    household: str,
    household_size=1,
    consent: bool,
    entered_by: User | None = None,
    today: dt.date | None = None,
) -> Application:
    """A citizen's application (or one entered by staff at a community centre for them).

    Refused when the programme is not open today, the group is unknown, consent is missing or
    this citizen applied already (``AlreadyAppliedError``). Duplicates of the same person or
    household and people the lists exclude are flagged for review, not refused: staff decide.
    Locks the programme row (so that two applications of one household see each other)."""
    if entered_by is not None:
        _require_staff(entered_by)
    today = today or business_date_today()
    identifier = identifier_normalise(identifier)
    if not 6 <= len(identifier) <= 20:
        raise GrantError(_("Enter your resident registration number."))
    household = " ".join((household or "").split())
    if not household:
        raise GrantError(_("Enter the household's registered address."))
    try:
        size = int(household_size)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= 20:
        raise GrantError(_("The household has 1 to 20 members."))
    if not consent:
        raise GrantError(
            _("Agree to the declaration and to the checks to apply."), code="consent_required"
        )
    with transaction.atomic():
        locked = Programme.objects.select_for_update().get(pk=programme.pk)
        if locked.status != Programme.Status.OPEN or not (
            locked.apply_from <= today <= locked.apply_until
        ):
            raise ProgrammeNotOpenError()
        group = EligibilityGroup.objects.filter(programme=locked, code=group_code).first()
        if group is None:
            raise GrantError(_("Choose one of the programme's groups."), code="group_unknown")
        if Application.objects.filter(programme=locked, applicant=applicant).exists():
            raise AlreadyAppliedError()
        text = declaration_text(locked, group)
        application = Application(
            programme=locked,
            applicant=applicant,
            entered_by=entered_by,
            group=group,
            person_key=person_key(identifier),
            person_masked=identifier_mask(identifier),
            household_key=person_key(f"household:{household}"),
            household_size=size,
            amount=programme_amount(locked, household_size=size),
            declaration_text=text,
            declaration_hash=hashlib.sha256(text.encode()).hexdigest(),
            consented_at=timezone.now(),
        )
        application.flags = screening_flags(application=application)
        application.save()
        _event(
            application,
            actor=entered_by or applicant,
            action="entered" if entered_by else "submitted",
        )
    return application


def document_add(*, application: Application, by: User, label: str, upload) -> Document:
    """Keep an evidence file privately (outside the public media folder) until the retention
    date. The applicant adds documents while the application is open; staff entering it for
    someone may too. A request for documents goes back to review with the upload."""
    if by.pk != application.applicant_id and not is_grant_staff(by):
        raise GrantForbiddenError(_("Only the applicant or city staff can add documents."))
    if application.status not in Application.OPEN_STATUSES:
        raise DocumentError(_("Documents can be added only while the application is in review."))
    content_type = getattr(upload, "content_type", "") or ""
    if content_type not in DOCUMENT_TYPES:
        raise DocumentError(_("Upload a PDF, JPEG or PNG file."))
    size = getattr(upload, "size", 0) or 0
    if size <= 0 or size > DOCUMENT_MAX_BYTES:
        raise DocumentError(_("A document may be at most 10 MB."))
    label = (label or "").strip()[:100] or _("Evidence")
    data = upload.read()
    relative = Path("grants") / schema_name() / f"{uuid.uuid4().hex}{DOCUMENT_TYPES[content_type]}"
    target = Path(settings.PRIVATE_FILES_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        document = Document.objects.create(
            application=locked,
            label=label,
            path=str(relative),
            original_name=(getattr(upload, "name", "") or "document")[:200],
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            retain_until=document_retain_until(locked.programme),
            uploaded_by=by,
        )
        if locked.status == Application.Status.DOCUMENTS_REQUESTED:
            before = locked.status
            locked.status = Application.Status.SUBMITTED
            locked.save(update_fields=["status"])
            _event(locked, actor=by, action="document_added", from_status=before)
        else:
            _event(locked, actor=by, action="document_added", from_status=locked.status)
    return document


def document_open(*, document: Document, viewer: User, ip_address: str | None = None) -> bytes:
    """The document's bytes for the applicant or grant staff, the view logged first; anyone
    else is refused (and not logged as a view)."""
    application = document.application
    if viewer.pk != application.applicant_id and not is_grant_staff(viewer):
        raise GrantForbiddenError(_("Only the applicant and grant staff can open documents."))
    DocumentView.objects.create(document=document, viewer=viewer, ip_address=ip_address)
    path = Path(settings.PRIVATE_FILES_ROOT) / document.path
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DocumentError(_("This document is no longer kept."), code="document_gone") from None


def documents_purge(*, today: dt.date | None = None) -> int:
    """Delete the files (and rows) of documents past their retention date."""
    today = today or business_date_today()
    count = 0
    for document in Document.objects.filter(retain_until__lt=today):
        (Path(settings.PRIVATE_FILES_ROOT) / document.path).unlink(missing_ok=True)
        document.delete()
        count += 1
    return count


# --- Review ---------------------------------------------------------------------------------------

APPROVE, REJECT, REQUEST_DOCUMENTS = "approve", "reject", "request_documents"


def application_decide(
    *, application: Application, by: User, decision: str, reason: str = ""
) -> Application:
    """Staff approve, reject (with a reason) or ask for a document.

    Approval promises the application's amount from the budget: one conditional update of
    the programme row (``committed + amount <= budget``, also a CHECK), so approvals racing
    for the last of the budget promise it once (``BudgetExhaustedError`` for the others) and
    nothing is ever overspent. A household that has a live approved or paid grant in a
    per-household programme is refused. Locks the application row, then the programme row.
    The citizen is told by message."""
    _require_staff(by)
    reason = (reason or "").strip()
    if decision not in (APPROVE, REJECT, REQUEST_DOCUMENTS):
        raise GrantError(_("Approve, reject or ask for a document."), code="decision_unknown")
    if decision in (REJECT, REQUEST_DOCUMENTS) and not reason:
        raise GrantError(_("Say why, for the applicant."), code="reason_required")

    def attempt() -> Application:
        with transaction.atomic():
            locked = (
                Application.objects.select_for_update()
                .select_related("programme")
                .get(pk=application.pk)
            )
            before = locked.status
            if before not in Application.OPEN_STATUSES:
                raise DecisionError(
                    _("This application has been decided already (%(status)s).")
                    % {"status": locked.get_status_display()}
                )
            if decision == APPROVE:
                _approve(locked)
            else:
                locked.status = (
                    Application.Status.REJECTED
                    if decision == REJECT
                    else Application.Status.DOCUMENTS_REQUESTED
                )
            locked.reason = reason[:300]
            locked.decided_by = by
            locked.decided_at = timezone.now()
            locked.save(update_fields=["status", "reason", "decided_by", "decided_at"])
            _event(locked, actor=by, action=decision, from_status=before, reason=reason)
            transaction.on_commit(
                lambda: message_request(kind="grants.decision", object_id=locked.pk)
            )
            return locked

    return with_retries(attempt)


def _approve(application: Application) -> None:
    programme = application.programme
    if programme.per == Programme.Per.HOUSEHOLD:
        # The programme row below is locked by every approval: take it first here so that two
        # approvals of one household see each other.
        Programme.objects.select_for_update().filter(pk=programme.pk).values("pk").get()
        if (
            Application.objects.filter(
                programme_id=programme.pk,
                household_key=application.household_key,
                status__in=(Application.Status.APPROVED, Application.Status.PAID),
            )
            .exclude(pk=application.pk)
            .exists()
        ):
            raise DecisionError(
                _("Another member of this household has been approved already."),
                code="household_already_approved",
            )
    promised = Programme.objects.filter(
        pk=programme.pk,
        status__in=(Programme.Status.OPEN, Programme.Status.CLOSED),
        committed__lte=F("budget") - application.amount,
    ).update(committed=F("committed") + application.amount)
    if not promised:
        if Programme.objects.filter(pk=programme.pk, status=Programme.Status.ENDED).exists():
            raise DecisionError(_("This programme has ended."))
        raise BudgetExhaustedError()
    application.status = Application.Status.APPROVED


# --- Payment --------------------------------------------------------------------------------------


def grants_pay(*, programme: Programme, by: User | None) -> PaymentBatch:
    """Pay every approved, unpaid application of ``programme``: one ledger entry from the
    programme's budget account to each citizen's grant account of the programme, the
    applications marked paid in the same transaction. Run twice, the second run finds nothing
    to pay (a batch of 0). The API adds an ``Idempotency-Key`` on top (a retry gets the first
    answer). Locks the programme row (which every approval updates before it marks its
    application approved), then the accounts in id order; a deadlock is retried."""
    if by is not None:
        _require_staff(by)

    def attempt() -> PaymentBatch:
        with transaction.atomic():
            locked = Programme.objects.select_for_update().get(pk=programme.pk)
            # No lock on the applications: an approval updates the programme row (the budget
            # promise) before it marks its application approved, so while this transaction
            # holds that row the approved set cannot grow; nothing else changes an approved one.
            approved = Application.objects.filter(
                programme=locked, status=Application.Status.APPROVED
            )
            rows = list(approved.order_by("id").values_list("id", "applicant_id", "amount"))
            batch = PaymentBatch.objects.create(programme=locked, created_by=by)
            if not rows:
                return batch
            accounts = user_accounts_ensure(
                kind=Account.Kind.WALLET_GRANT, user_ids=[r[1] for r in rows], shard=locked.pk
            )
            total = sum(r[2] for r in rows)
            entry = entry_post(
                kind=Entry.Kind.GRANT,
                legs=[
                    Leg(_budget_account(locked.pk).pk, -total),
                    *(Leg(accounts[user_id], amount) for _id, user_id, amount in rows),
                ],
                idempotency_key=f"grants:batch:{batch.pk}",
                actor=by,
                memo=f"{locked.name}: {len(rows)}"[:200],
                savepoint=False,
            )
            marked = approved.update(status=Application.Status.PAID, batch=batch)
            if marked != len(rows):  # cannot happen under the programme's lock; never pay blind
                raise GrantError(_("The approved applications changed; pay again."))
            batch.paid = len(rows)
            batch.amount = total
            batch.entry_id = entry.pk
            batch.save(update_fields=["paid", "amount", "entry_id"])
            return batch

    return with_retries(attempt)


# --- Expiry ---------------------------------------------------------------------------------------


def grants_expire(*, business_date: dt.date) -> list[Expiry]:
    """After a programme's spending deadline, return what every citizen's grant account of it
    still holds to the programme's budget: one entry per programme per business date
    (``Expiry`` is unique on both; the entry's key too), so a second run of the day moves
    nothing, and money that comes back later (a cancelled payment) goes the next day.
    The programme ends with its first expiry. Locks the programme row, then the accounts."""
    done = []
    for programme_id in Programme.objects.filter(spend_until__lt=business_date).values_list(
        "pk", flat=True
    ):
        expiry = with_retries(
            functools.partial(_expire_one, programme_id=programme_id, business_date=business_date)
        )
        if expiry is not None:
            done.append(expiry)
    return done


def _expire_one(*, programme_id: int, business_date: dt.date) -> Expiry | None:
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme_id)
        if Expiry.objects.filter(programme=programme, business_date=business_date).exists():
            return None
        if programme.status != Programme.Status.ENDED:
            programme.status = Programme.Status.ENDED
            programme.save(update_fields=["status"])
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM ledger_accounts WHERE kind = 'wallet_grant' AND shard = %s"
                " AND owner_shop_id IS NULL AND balance > 0",
                [programme.pk],
            )
            ids = [row[0] for row in cursor.fetchall()]
        balances = {k: v for k, v in accounts_lock(ids).items() if v > 0} if ids else {}
        total = sum(balances.values())
        expiry = Expiry(programme=programme, business_date=business_date)
        if total:
            entry = entry_post(
                kind=Entry.Kind.EXPIRY,
                legs=[
                    Leg(_budget_account(programme.pk).pk, total),
                    *(Leg(account_id, -balance) for account_id, balance in balances.items()),
                ],
                idempotency_key=f"grants:expiry:{programme.pk}:{business_date.isoformat()}",
                business_date=business_date,
                memo=f"{programme.name}: returned"[:200],
                savepoint=False,
            )
            expiry.entry_id = entry.pk
        expiry.accounts = len(balances)
        expiry.amount = total
        expiry.save()
        return expiry


def expiry_notices_send(*, business_date: dt.date) -> int:
    """Tell every citizen who still holds a programme's grant ``notice_days`` before its
    deadline (once per programme and citizen)."""
    sent = 0
    for programme in Programme.objects.filter(
        status__in=(Programme.Status.OPEN, Programme.Status.CLOSED),
        spend_until__gte=business_date,
    ):
        if (programme.spend_until - business_date).days > programme.notice_days:
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT owner_user_id, balance FROM ledger_accounts WHERE kind = 'wallet_grant'"
                " AND shard = %s AND owner_shop_id IS NULL AND balance > 0",
                [programme.pk],
            )
            holders = cursor.fetchall()
        already = set(
            ExpiryNotice.objects.filter(programme=programme).values_list("user_id", flat=True)
        )
        for user_id, balance in holders:
            if user_id in already:
                continue
            notice = ExpiryNotice.objects.create(
                programme=programme, user_id=user_id, balance=balance
            )
            transaction.on_commit(
                functools.partial(message_request, kind="grants.expiry_notice", object_id=notice.pk)
            )
            sent += 1
    return sent
