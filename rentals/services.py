"""Every change to properties, leases, rent-reduction agreements, signatures and the policy.

Each service checks who may act, validates the input against the city's policy and raises a
``RentalError`` (or a 403/404/409 subclass) with a clear message before it writes anything.
Locks are taken in one order: the property row, the lease row, then agreement rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from districts.services import district_check
from jeonju_prepay.formatting import bp_percent, won
from merchants import brn
from merchants.models import Shop, ShopMember

from . import rules
from .exceptions import (
    AgreementNotFoundError,
    AgreementStatusError,
    LeaseConflictError,
    LeaseNotFoundError,
    PeriodTooShortError,
    PropertyNotFoundError,
    ReductionTooSmallError,
    RentalError,
    RentalPermissionError,
    TenantShopNotFoundError,
    TermsChangedError,
)
from .models import Agreement, AgreementEvent, Lease, Property, RentalPolicy, Signature
from .selectors import ACTIVE_STATUSES, is_landlord, is_rental_staff, rental_policy_on

logger = logging.getLogger(__name__)

MAX_DEPOSIT = 10_000_000_000  # ten billion won: anything larger is a typo
MAX_PROPERTY_TAX = 1_000_000_000
MAX_MONTHS = 60
MAX_REASON = 1000


# --- Input checks shared by the services ------------------------------------------------------


def _won(value, *, label: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RentalError(_("%(field)s is a whole number of won.") % {"field": label})
    if value < minimum:
        raise RentalError(
            _("%(field)s must be at least %(amount)s.") % {"field": label, "amount": won(minimum)}
        )
    if value > maximum:
        raise RentalError(
            _("%(field)s may be at most %(amount)s.") % {"field": label, "amount": won(maximum)}
        )
    return value


def _day(value, *, label: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise RentalError(_("%(field)s is a date, like 2020-04-01.") % {"field": label})
    if not rules.FIRST_YEAR <= value.year <= rules.LAST_YEAR:
        raise RentalError(
            _("%(field)s must be between the years %(first)s and %(last)s.")
            % {"field": label, "first": rules.FIRST_YEAR, "last": rules.LAST_YEAR}
        )
    return value


def _text(value, *, label: str, max_length: int, required: bool = True) -> str:
    text = " ".join(str(value or "").replace("\x00", " ").split())
    if required and not text:
        raise RentalError(_("%(field)s is required.") % {"field": label})
    if len(text) > max_length:
        raise RentalError(
            _("%(field)s is at most %(n)s characters.") % {"field": label, "n": max_length}
        )
    return text


def _require_landlord(user: User) -> None:
    if not is_landlord(user):
        raise RentalPermissionError(
            _("Only landlords register properties and propose rent reductions.")
        )


def _require_staff(user: User) -> None:
    if not is_rental_staff(user):
        raise RentalPermissionError(_("Only city staff can do this."))


def _require_disinterested(agreement: Agreement, user: User) -> None:
    """Staff do not decide an agreement they are a party to."""
    is_party = (
        agreement.lease.property.landlord_id == user.pk
        or ShopMember.objects.filter(shop_id=agreement.lease.tenant_shop_id, user=user).exists()
    )
    if is_party:
        raise RentalPermissionError(
            _("You are a party to this agreement; another staff member decides it.")
        )


def _event(agreement: Agreement, *, actor, action: str, from_status: str = "", reason: str = ""):
    AgreementEvent.objects.create(
        agreement=agreement,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=agreement.status,
        reason=reason,
        terms_hash=agreement.terms_hash,
    )


def _lock_property_of(*, lease_id: int | None = None, property_id: int | None = None) -> None:
    """Lock the property row first: every write that checks leases or agreements for overlap
    takes it, so such checks on one unit run one at a time (lock order: property, lease,
    agreement)."""
    if property_id is None:
        property_id = (
            Lease.objects.filter(pk=lease_id).values_list("property_id", flat=True).first()
        )
    if property_id is not None:
        list(Property.objects.select_for_update().filter(pk=property_id).values_list("pk"))


def _status_label(status: str) -> str:
    return str(Agreement.Status(status).label)


# --- Properties and leases ------------------------------------------------------------------


def property_create(*, landlord: User, address: str, unit: str = "", district: str) -> Property:
    """A landlord registers a leased unit. Raises ``RentalError`` for a duplicate."""
    _require_landlord(landlord)
    address = _text(address, label=_("Address"), max_length=200)
    unit = _text(unit, label=_("Unit"), max_length=50, required=False)
    district = district_check(_text(district, label=_("District (dong)"), max_length=50))
    try:
        with transaction.atomic():
            return Property.objects.create(
                landlord=landlord, address=address, unit=unit, district=district
            )
    except IntegrityError as exc:
        raise RentalError(_("You have registered this address and unit already.")) from exc


def _tenant_shop(business_number: str) -> Shop:
    reason = brn.problem(business_number)
    if reason is not None:
        raise RentalError(reason)
    number = brn.parse(business_number)
    shop = Shop.objects.filter(business_number=number).first()
    if shop is None:
        raise TenantShopNotFoundError()
    if shop.status != Shop.Status.APPROVED:
        raise RentalError(
            _("The shop %(shop)s is not approved in this city's programme (%(status)s).")
            % {"shop": shop.name, "status": shop.get_status_display()}
        )
    return shop


@transaction.atomic
def lease_create(
    *,
    landlord: User,
    property: Property,
    tenant_business_number: str,
    monthly_rent: int,
    deposit: int,
    start_date: dt.date,
    end_date: dt.date,
) -> Lease:
    """Record a lease of the landlord's property to an approved shop, found by its business
    registration number. Locks the property row, so two overlapping leases cannot both pass."""
    _require_landlord(landlord)
    prop = Property.objects.select_for_update().filter(pk=property.pk, landlord=landlord).first()
    if prop is None:
        raise PropertyNotFoundError()
    shop = _tenant_shop(tenant_business_number)
    if ShopMember.objects.filter(shop=shop, user=landlord, role=ShopMember.Role.OWNER).exists():
        raise RentalError(_("You cannot lease to a shop you own yourself."))
    monthly_rent = _won(
        monthly_rent, label=_("Monthly rent"), minimum=1, maximum=settings.MONEY_MAX_AMOUNT
    )
    deposit = _won(deposit, label=_("Deposit"), minimum=0, maximum=MAX_DEPOSIT)
    start_date = _day(start_date, label=_("Start of the lease"))
    end_date = _day(end_date, label=_("End of the lease"))
    if end_date <= start_date:
        raise RentalError(_("The lease must end after it starts."))
    overlapping = Lease.objects.filter(
        property=prop,
        next_record__isnull=True,
        start_date__lte=end_date,
        end_date__gte=start_date,
    ).first()
    if overlapping is not None:
        raise LeaseConflictError(
            _(
                "This unit is leased from %(start)s to %(end)s already. "
                "Record a rent change or a renewal of that lease instead."
            )
            % {"start": overlapping.start_date, "end": overlapping.end_date}
        )
    return Lease.objects.create(
        property=prop,
        tenant_shop=shop,
        kind=Lease.Kind.INITIAL,
        monthly_rent=monthly_rent,
        deposit=deposit,
        start_date=start_date,
        end_date=end_date,
        recorded_by=landlord,
    )


@transaction.atomic
def lease_record_rent_change(
    *,
    landlord: User,
    lease: Lease,
    kind: str,
    monthly_rent: int,
    deposit: int,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> Lease:
    """A later record of the lease: a rent change during it (``change``) or a renewal.

    Locks the property and lease rows; the new record follows the current one (only the latest
    record can be followed). Agreements on this property and tenant whose credit the new rent
    claws back are flagged (see ``rules.clawback_reason``). Returns the new record.
    """
    _require_landlord(landlord)
    _lock_property_of(lease_id=lease.pk)
    current = (
        Lease.objects.select_for_update(of=("self",))
        .select_related("property", "tenant_shop")
        .filter(pk=lease.pk, property__landlord=landlord)
        .first()
    )
    if current is None:
        raise LeaseNotFoundError()
    if kind not in (Lease.Kind.CHANGE, Lease.Kind.RENEWAL):
        raise RentalError(_("Choose a rent change or a renewal."))
    if Lease.objects.filter(previous=current).exists():
        raise LeaseConflictError(
            _("This lease record has a later record already. Change the latest one.")
        )
    monthly_rent = _won(
        monthly_rent, label=_("Monthly rent"), minimum=1, maximum=settings.MONEY_MAX_AMOUNT
    )
    deposit = _won(deposit, label=_("Deposit"), minimum=0, maximum=MAX_DEPOSIT)
    start_date = _day(start_date, label=_("In force from"))
    if start_date <= current.start_date:
        raise RentalError(
            _("A later record must take effect after %(date)s, the start of the current one.")
            % {"date": current.start_date}
        )
    if kind == Lease.Kind.CHANGE:
        if start_date > current.end_date:
            raise RentalError(
                _(
                    "A rent change takes effect during the lease (until %(date)s); after it, record a renewal."
                )
                % {"date": current.end_date}
            )
        end_date = current.end_date if end_date is None else end_date
    elif end_date is None:
        raise RentalError(_("A renewal needs its end date."))
    end_date = _day(end_date, label=_("Until"))
    if end_date <= start_date:
        raise RentalError(_("The lease must end after it starts."))
    try:
        with transaction.atomic():
            record = Lease.objects.create(
                property=current.property,
                tenant_shop=current.tenant_shop,
                kind=kind,
                previous=current,
                monthly_rent=monthly_rent,
                deposit=deposit,
                start_date=start_date,
                end_date=end_date,
                recorded_by=landlord,
            )
    except IntegrityError as exc:  # a concurrent record of the same lease
        raise LeaseConflictError(
            _("This lease record has a later record already. Change the latest one.")
        ) from exc
    _flag_clawbacks(record=record, actor=landlord)
    return record


def _flag_clawbacks(*, record: Lease, actor: User) -> list[Agreement]:
    """Flag the standing agreements of this property and tenant that ``record`` claws back.
    Runs in the caller's transaction; locks the agreement rows it looks at."""
    agreements = (
        Agreement.objects.select_for_update()
        .filter(
            lease__property_id=record.property_id,
            lease__tenant_shop_id=record.tenant_shop_id,
            status__in=ACTIVE_STATUSES,
            clawback="",
        )
        .exclude(lease=record)
        .order_by("pk")
    )
    flagged = []
    now = timezone.now()
    for agreement in agreements:
        policy = rental_policy_on(agreement.start_date)
        reason = rules.clawback_reason(
            kind=record.kind,
            new_rent=record.monthly_rent,
            rent_before=agreement.rent_before,
            renewal_cap_bp=policy.renewal_cap_bp,
            record_start=record.start_date,
            agreement_end=agreement.end_date,
        )
        if not reason:
            continue
        agreement.clawback = reason
        agreement.clawback_lease = record
        agreement.clawback_at = now
        agreement.save(update_fields=["clawback", "clawback_lease", "clawback_at", "updated_at"])
        _event(agreement, actor=actor, action="clawback_flagged", from_status=agreement.status)
        logger.info("agreement %s flagged for claw-back by lease %s", agreement.pk, record.pk)
        flagged.append(agreement)
    return flagged


# --- Agreements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReductionTerms:
    """What the landlord offers: a rate (basis points) or a monthly amount (won), for
    ``months`` months from ``start_date``. ``end_date`` None: the last day of those months."""

    kind: str
    months: int
    start_date: dt.date
    rate_bp: int | None = None
    amount: int | None = None
    end_date: dt.date | None = None


def _validated_terms(lease: Lease, terms: ReductionTerms) -> dict:
    """The agreement's term fields, computed and checked against the policy in force on the
    start date. Raises ``ReductionTooSmallError``, ``PeriodTooShortError`` or ``RentalError``."""
    rent = lease.monthly_rent
    if terms.kind not in Agreement.ReductionKind.values:
        raise RentalError(_("Give the reduction as a rate or as an amount."))
    if isinstance(terms.months, bool) or not isinstance(terms.months, int):
        raise RentalError(_("The number of months is a whole number."))
    if not 1 <= terms.months <= MAX_MONTHS:
        raise RentalError(_("The number of months is 1 to %(max)s.") % {"max": MAX_MONTHS})
    start = _day(terms.start_date, label=_("Start of the reduction"))
    expected_end = rules.period_end(start, terms.months)
    if terms.end_date is not None:
        end = _day(terms.end_date, label=_("End of the reduction"))
        if end != expected_end:
            raise RentalError(
                _(
                    "From %(start)s, %(months)s months end on %(end)s. "
                    "Correct the end date or leave it empty."
                )
                % {"start": start, "months": terms.months, "end": expected_end}
            )
    policy = rental_policy_on(start)
    if terms.months < policy.min_months:
        raise PeriodTooShortError(
            _("A good-rental cut lasts at least %(min)s months; %(months)s is too short.")
            % {"min": policy.min_months, "months": terms.months}
        )
    if start < lease.start_date or expected_end > lease.end_date:
        raise RentalError(
            _("The reduction must fall within the lease, %(start)s to %(end)s.")
            % {"start": lease.start_date, "end": lease.end_date}
        )
    rate_bp = amount = None
    if terms.kind == Agreement.ReductionKind.RATE:
        rate_bp = terms.rate_bp
        if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 1 <= rate_bp <= 10000:
            raise RentalError(
                _("The reduction rate is more than %(min)s and at most %(max)s.")
                % {"min": bp_percent(0), "max": bp_percent(10000)}
            )
        if not rules.meets_minimum(
            rent_before=rent,
            kind="rate",
            rate_bp=rate_bp,
            amount=None,
            min_bp=policy.min_reduction_bp,
        ):
            raise ReductionTooSmallError(
                _("A good-rental cut is at least %(min)s of the rent; %(given)s is less.")
                % {"min": bp_percent(policy.min_reduction_bp), "given": bp_percent(rate_bp)}
            )
    else:
        amount = _won(terms.amount, label=_("The monthly cut"), minimum=1, maximum=rent)
        if not rules.meets_minimum(
            rent_before=rent,
            kind="amount",
            rate_bp=None,
            amount=amount,
            min_bp=policy.min_reduction_bp,
        ):
            raise ReductionTooSmallError(
                _(
                    "A good-rental cut is at least %(min)s of the rent, that is %(minimum)s "
                    "a month on a rent of %(rent)s; %(given)s is less."
                )
                % {
                    "min": bp_percent(policy.min_reduction_bp),
                    "minimum": won(
                        rules.minimum_amount(rent_before=rent, min_bp=policy.min_reduction_bp)
                    ),
                    "rent": won(rent),
                    "given": won(amount),
                }
            )
    monthly = rules.monthly_reduction(
        rent_before=rent, kind=terms.kind, rate_bp=rate_bp, amount=amount
    )
    if monthly <= 0:
        raise RentalError(_("This cut comes to 0 won a month. Give a larger rate or an amount."))
    return {
        "rent_before": rent,
        "reduction_kind": terms.kind,
        "reduction_rate_bp": rate_bp,
        "reduction_amount": amount,
        "monthly_reduction": monthly,
        "months": terms.months,
        "start_date": start,
        "end_date": expected_end,
        "total_reduction": monthly * terms.months,
    }


def _check_no_overlap(lease: Lease, fields: dict, *, exclude_pk: int | None = None) -> None:
    others = Agreement.objects.filter(
        lease__property_id=lease.property_id,
        lease__tenant_shop_id=lease.tenant_shop_id,
        status__in=ACTIVE_STATUSES,
        start_date__lte=fields["end_date"],
        end_date__gte=fields["start_date"],
    )
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    other = others.first()
    if other is not None:
        raise LeaseConflictError(
            _("Agreement #%(id)s already covers part of this period (%(start)s to %(end)s).")
            % {"id": other.pk, "start": other.start_date, "end": other.end_date}
        )


def agreement_terms(agreement: Agreement) -> dict:
    """The exact terms both parties sign, as plain JSON values (hashed canonically)."""
    lease = agreement.lease
    prop = lease.property
    shop = lease.tenant_shop
    landlord = prop.landlord
    return {
        "agreement": agreement.pk,
        "version": agreement.terms_version,
        "landlord": {"id": landlord.pk, "name": landlord.name, "email": landlord.email},
        "tenant_shop": {
            "id": shop.pk,
            "name": shop.name,
            "business_number": shop.business_number,
        },
        "property": {
            "id": prop.pk,
            "address": prop.address,
            "unit": prop.unit,
            "district": prop.district,
        },
        "lease": {
            "id": lease.pk,
            "monthly_rent": lease.monthly_rent,
            "deposit": lease.deposit,
            "start_date": lease.start_date.isoformat(),
            "end_date": lease.end_date.isoformat(),
        },
        "rent_before": agreement.rent_before,
        "reduction": {
            "kind": agreement.reduction_kind,
            "rate_bp": agreement.reduction_rate_bp,
            "amount": agreement.reduction_amount,
        },
        "monthly_reduction": agreement.monthly_reduction,
        "rent_after": agreement.rent_before - agreement.monthly_reduction,
        "months": agreement.months,
        "start_date": agreement.start_date.isoformat(),
        "end_date": agreement.end_date.isoformat(),
        "total_reduction": agreement.total_reduction,
    }


def _seal_terms(agreement: Agreement, *, landlord: User) -> None:
    """Freeze the current terms and their hash, and sign them for the landlord who set them."""
    agreement.terms = agreement_terms(agreement)
    agreement.terms_hash = rules.terms_hash(agreement.terms)
    agreement.save(update_fields=["terms", "terms_hash", "updated_at"])
    Signature.objects.create(
        agreement=agreement,
        party=Signature.Party.LANDLORD,
        signer=landlord,
        terms_hash=agreement.terms_hash,
        terms_version=agreement.terms_version,
    )


def _reliefs(property_tax_amount, income_over_threshold) -> tuple[int, bool]:
    amount = _won(
        property_tax_amount,
        label=_("Property tax on the leased unit"),
        minimum=0,
        maximum=MAX_PROPERTY_TAX,
    )
    return amount, bool(income_over_threshold)


@transaction.atomic
def agreement_propose(
    *,
    landlord: User,
    lease: Lease,
    terms: ReductionTerms,
    property_tax_amount: int = 0,
    income_over_threshold: bool = False,
) -> Agreement:
    """The landlord proposes a cut on the current record of their lease and signs it.

    Locks the property and lease rows. Raises ``ReductionTooSmallError`` /
    ``PeriodTooShortError`` when the city's policy is not met, ``LeaseConflictError`` for an old
    record or an overlapping agreement. The tenant shop's owner is then asked to sign.
    """
    _require_landlord(landlord)
    _lock_property_of(lease_id=lease.pk)
    current = (
        Lease.objects.select_for_update(of=("self",))
        .select_related("property__landlord", "tenant_shop")
        .filter(pk=lease.pk, property__landlord=landlord)
        .first()
    )
    if current is None:
        raise LeaseNotFoundError()
    if Lease.objects.filter(previous=current).exists():
        raise LeaseConflictError(
            _("This lease record has been changed or renewed since. Propose on its latest record.")
        )
    if current.tenant_shop.status != Shop.Status.APPROVED:
        raise RentalError(
            _("The shop %(shop)s is not approved in this city's programme (%(status)s).")
            % {"shop": current.tenant_shop.name, "status": current.tenant_shop.get_status_display()}
        )
    fields = _validated_terms(current, terms)
    tax, high_income = _reliefs(property_tax_amount, income_over_threshold)
    _check_no_overlap(current, fields)
    agreement = Agreement.objects.create(
        lease=current,
        status=Agreement.Status.PROPOSED,
        property_tax_amount=tax,
        income_over_threshold=high_income,
        terms_hash="",
        **fields,
    )
    _seal_terms(agreement, landlord=landlord)
    _event(agreement, actor=landlord, action="proposed")
    return agreement


def _lock_agreement(agreement: Agreement) -> Agreement:
    locked = (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("lease__property__landlord", "lease__tenant_shop")
        .filter(pk=agreement.pk)
        .first()
    )
    if locked is None:
        raise AgreementNotFoundError()
    return locked


def _landlords_agreement(agreement: Agreement, landlord: User) -> Agreement:
    _require_landlord(landlord)
    locked = _lock_agreement(agreement)
    if locked.lease.property.landlord_id != landlord.pk:
        raise AgreementNotFoundError()
    return locked


@transaction.atomic
def agreement_update_terms(
    *, landlord: User, agreement: Agreement, terms: ReductionTerms
) -> Agreement:
    """The landlord changes the terms (before verification). The terms get a new version and
    hash, so every earlier signature no longer matches: the tenant must sign again. A declined
    or rejected agreement changed this way is proposed again. Locks the property row, then the
    agreement row."""
    _lock_property_of(lease_id=agreement.lease_id)
    agreement = _landlords_agreement(agreement, landlord)
    if agreement.status == Agreement.Status.VERIFIED:
        raise AgreementStatusError(_("A verified agreement cannot be changed."))
    fields = _validated_terms(agreement.lease, terms)
    unchanged = all(getattr(agreement, name) == value for name, value in fields.items())
    # A declined or rejected agreement may be proposed again as it is (a new version to sign).
    if unchanged and agreement.status in (Agreement.Status.PROPOSED, Agreement.Status.SIGNED):
        raise RentalError(_("These are the current terms; nothing changed."))
    _check_no_overlap(agreement.lease, fields, exclude_pk=agreement.pk)
    previous = agreement.status
    for name, value in fields.items():
        setattr(agreement, name, value)
    agreement.terms_version += 1
    agreement.status = Agreement.Status.PROPOSED
    agreement.status_reason = ""
    agreement.decided_by = None
    agreement.decided_at = None
    agreement.save()
    _seal_terms(agreement, landlord=landlord)
    _event(
        agreement,
        actor=landlord,
        action="terms_changed",
        from_status=previous,
    )
    return agreement


@transaction.atomic
def agreement_set_reliefs(
    *, landlord: User, agreement: Agreement, property_tax_amount: int, income_over_threshold: bool
) -> Agreement:
    """The landlord's declarations behind the relief estimates (not terms: nobody re-signs)."""
    agreement = _landlords_agreement(agreement, landlord)
    tax, high_income = _reliefs(property_tax_amount, income_over_threshold)
    if (tax, high_income) == (agreement.property_tax_amount, agreement.income_over_threshold):
        return agreement
    agreement.property_tax_amount = tax
    agreement.income_over_threshold = high_income
    agreement.save(update_fields=["property_tax_amount", "income_over_threshold", "updated_at"])
    _event(
        agreement,
        actor=landlord,
        action="reliefs_declared",
        from_status=agreement.status,
    )
    return agreement


def _require_tenant_owner(agreement: Agreement, user: User) -> None:
    is_owner = ShopMember.objects.filter(
        shop_id=agreement.lease.tenant_shop_id, user=user, role=ShopMember.Role.OWNER
    ).exists()
    if not is_owner:
        raise RentalPermissionError(_("Only the owner of the tenant shop can sign or decline."))


@transaction.atomic
def agreement_sign(*, agreement: Agreement, by: User, terms_hash: str) -> Signature:
    """The tenant shop's owner signs the terms they read, identified by ``terms_hash``.

    Locks the agreement row. Raises ``TermsChangedError`` if the terms changed since the signer
    read them, ``AgreementStatusError`` unless the agreement waits for the tenant.
    """
    agreement = _lock_agreement(agreement)
    _require_tenant_owner(agreement, by)
    if agreement.status == Agreement.Status.SIGNED:
        raise AgreementStatusError(_("You have signed these terms already."))
    if agreement.status != Agreement.Status.PROPOSED:
        raise AgreementStatusError(
            _("An agreement that is “%(status)s” cannot be signed.")
            % {"status": _status_label(agreement.status)}
        )
    if (terms_hash or "") != agreement.terms_hash:
        raise TermsChangedError()
    signature = Signature.objects.create(
        agreement=agreement,
        party=Signature.Party.TENANT,
        signer=by,
        terms_hash=agreement.terms_hash,
        terms_version=agreement.terms_version,
    )
    agreement.status = Agreement.Status.SIGNED
    agreement.save(update_fields=["status", "updated_at"])
    _event(agreement, actor=by, action="signed", from_status=Agreement.Status.PROPOSED)
    return signature


@transaction.atomic
def agreement_decline(*, agreement: Agreement, by: User, reason: str = "") -> Agreement:
    """The tenant shop's owner declines the proposal (the reason is optional)."""
    agreement = _lock_agreement(agreement)
    _require_tenant_owner(agreement, by)
    reason = _text(reason, label=_("Reason"), max_length=MAX_REASON, required=False)
    if agreement.status != Agreement.Status.PROPOSED:
        raise AgreementStatusError(
            _("An agreement that is “%(status)s” cannot be declined.")
            % {"status": _status_label(agreement.status)}
        )
    agreement.status = Agreement.Status.DECLINED
    agreement.status_reason = reason
    agreement.save(update_fields=["status", "status_reason", "updated_at"])
    _event(
        agreement, actor=by, action="declined", from_status=Agreement.Status.PROPOSED, reason=reason
    )
    return agreement


@transaction.atomic
def agreement_verify(*, agreement: Agreement, by: User, terms_hash: str | None = None) -> Agreement:
    """City staff verify an agreement both parties signed in its current terms.

    ``terms_hash``, when given, must be the hash the staff member reviewed. The policy in force
    on the start date is checked again (it may have changed since the proposal). Locks the row.
    """
    _require_staff(by)
    agreement = _lock_agreement(agreement)
    _require_disinterested(agreement, by)
    if agreement.status == Agreement.Status.VERIFIED:
        raise AgreementStatusError(_("This agreement is verified already."))
    if agreement.status == Agreement.Status.PROPOSED:
        raise AgreementStatusError(_("The tenant has not signed the current terms yet."))
    if agreement.status != Agreement.Status.SIGNED:
        raise AgreementStatusError(
            _("An agreement that is “%(status)s” cannot be verified.")
            % {"status": _status_label(agreement.status)}
        )
    if terms_hash is not None and terms_hash != agreement.terms_hash:
        raise TermsChangedError()
    signed = set(
        agreement.signatures.filter(terms_hash=agreement.terms_hash).values_list("party", flat=True)
    )
    if Signature.Party.TENANT not in signed:
        raise AgreementStatusError(_("The tenant has not signed the current terms yet."))
    if Signature.Party.LANDLORD not in signed:
        raise AgreementStatusError(_("The landlord has not signed the current terms."))
    policy = rental_policy_on(agreement.start_date)
    if agreement.months < policy.min_months:
        raise PeriodTooShortError(
            _("Under the policy in force, a cut lasts at least %(min)s months.")
            % {"min": policy.min_months}
        )
    if not rules.meets_minimum(
        rent_before=agreement.rent_before,
        kind=agreement.reduction_kind,
        rate_bp=agreement.reduction_rate_bp,
        amount=agreement.reduction_amount,
        min_bp=policy.min_reduction_bp,
    ):
        raise ReductionTooSmallError(
            _("Under the policy in force, a cut is at least %(min)s of the rent.")
            % {"min": bp_percent(policy.min_reduction_bp)}
        )
    agreement.status = Agreement.Status.VERIFIED
    agreement.status_reason = ""
    agreement.decided_by = by
    agreement.decided_at = timezone.now()
    agreement.save(
        update_fields=["status", "status_reason", "decided_by", "decided_at", "updated_at"]
    )
    _event(agreement, actor=by, action="verified", from_status=Agreement.Status.SIGNED)
    return agreement


@transaction.atomic
def agreement_reject(*, agreement: Agreement, by: User, reason: str) -> Agreement:
    """City staff reject an agreement that is not verified; the landlord sees the reason and
    may change the terms to propose it again. Locks the row."""
    _require_staff(by)
    reason = _text(reason, label=_("Reason"), max_length=MAX_REASON, required=False)
    if not reason:
        raise RentalError(_("Give a reason; the landlord will see it."))
    agreement = _lock_agreement(agreement)
    _require_disinterested(agreement, by)
    if agreement.status not in (Agreement.Status.PROPOSED, Agreement.Status.SIGNED):
        raise AgreementStatusError(
            _("An agreement that is “%(status)s” cannot be rejected.")
            % {"status": _status_label(agreement.status)}
        )
    previous = agreement.status
    agreement.status = Agreement.Status.REJECTED
    agreement.status_reason = reason
    agreement.decided_by = by
    agreement.decided_at = timezone.now()
    agreement.save(
        update_fields=["status", "status_reason", "decided_by", "decided_at", "updated_at"]
    )
    _event(agreement, actor=by, action="rejected", from_status=previous, reason=reason)
    return agreement


# --- Policy -----------------------------------------------------------------------------------


def _bp(value, *, label: str, minimum: int = 0, maximum: int = 10000) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise RentalError(
            _("%(field)s is between %(min)s and %(max)s.")
            % {"field": label, "min": bp_percent(minimum), "max": bp_percent(maximum)}
        )
    return value


@transaction.atomic
def rental_policy_set(
    *,
    by: User,
    effective_from: dt.date,
    min_reduction_bp: int,
    min_months: int,
    property_tax_cut_bp: int,
    national_credit_bp: int,
    national_credit_high_income_bp: int,
    high_income_threshold: int,
    renewal_cap_bp: int,
) -> RentalPolicy:
    """City staff set the rules and reliefs in force from ``effective_from`` (the row for that
    date is replaced). Agreements starting on or after it, until the next row, follow it."""
    _require_staff(by)
    effective_from = _day(effective_from, label=_("In force from"))
    values = {
        "min_reduction_bp": _bp(min_reduction_bp, label=_("Minimum reduction"), minimum=1),
        "property_tax_cut_bp": _bp(property_tax_cut_bp, label=_("Property-tax cut")),
        "national_credit_bp": _bp(national_credit_bp, label=_("National credit")),
        "national_credit_high_income_bp": _bp(
            national_credit_high_income_bp, label=_("National credit above the income line")
        ),
        "renewal_cap_bp": _bp(renewal_cap_bp, label=_("Largest rise at renewal")),
        "high_income_threshold": _won(
            high_income_threshold,
            label=_("Income threshold"),
            minimum=0,
            maximum=100_000_000_000,
        ),
        "changed_by": by,
    }
    if isinstance(min_months, bool) or not isinstance(min_months, int) or not 1 <= min_months <= 60:
        raise RentalError(_("The minimum number of months is 1 to 60."))
    values["min_months"] = min_months
    try:
        with transaction.atomic():
            policy, _created = RentalPolicy.objects.update_or_create(
                effective_from=effective_from, defaults=values
            )
    except IntegrityError:  # another staff member created the row for that date just now
        policy, _created = RentalPolicy.objects.update_or_create(
            effective_from=effective_from, defaults=values
        )
    return policy
