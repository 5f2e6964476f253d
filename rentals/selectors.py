"""Reads about properties, leases and agreements shared by pages, the API and the dashboard.

Who sees what: a landlord sees only their own properties, leases and agreements; a shop owner
sees the agreements that name a shop they own; city staff see every agreement of their city.
Anything else is "not found" (it reveals nothing). Another city's rows live in another schema.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from jeonju_prepay.formatting import bp_percent, won
from ledger.services import business_date_today
from merchants.models import ShopMember

from . import rules
from .exceptions import AgreementNotFoundError, LeaseNotFoundError, PropertyNotFoundError
from .models import Agreement, Lease, Property, RentalPolicy, Signature

PROPOSE_PERM = "rentals.propose_agreement"
VERIFY_PERM = "rentals.verify_agreement"

# Agreements that still stand (the report's "all" scope and the claw-back check).
ACTIVE_STATUSES = (
    Agreement.Status.PROPOSED,
    Agreement.Status.SIGNED,
    Agreement.Status.VERIFIED,
)


def is_landlord(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(PROPOSE_PERM)


def is_rental_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(VERIFY_PERM)


# --- Policy ---------------------------------------------------------------------------------


def rental_policy_default() -> RentalPolicy:
    """The national rules when the city has set none (unsaved): 10% for 3 months, credit
    70% / 50%, renewals up to 5%, and no city property-tax cut."""
    return RentalPolicy(effective_from=dt.date(rules.FIRST_YEAR, 1, 1))


def rental_policy_on(day: dt.date) -> RentalPolicy:
    """The policy row in force on ``day`` (the latest one from on or before it)."""
    policy = RentalPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from")
    return policy.first() or rental_policy_default()


def rental_policies() -> QuerySet[RentalPolicy]:
    return RentalPolicy.objects.select_related("changed_by").order_by("-effective_from")


# --- Properties and leases --------------------------------------------------------------------


def _current_leases() -> Prefetch:
    return Prefetch(
        "leases",
        queryset=Lease.objects.filter(next_record__isnull=True)
        .select_related("tenant_shop")
        .order_by("-start_date"),
        to_attr="current_leases",
    )


def properties_of_landlord(user) -> QuerySet[Property]:
    return Property.objects.filter(landlord=user).prefetch_related(_current_leases())


def property_for_landlord(*, user, property_id: int) -> Property:
    prop = Property.objects.filter(pk=property_id, landlord=user).first()
    if prop is None:
        raise PropertyNotFoundError()
    return prop


def lease_for_landlord(*, user, lease_id: int) -> Lease:
    lease = (
        Lease.objects.select_related("property", "tenant_shop", "previous")
        .filter(pk=lease_id, property__landlord=user)
        .first()
    )
    if lease is None:
        raise LeaseNotFoundError()
    return lease


def lease_is_current(lease: Lease) -> bool:
    return not Lease.objects.filter(previous=lease).exists()


def lease_history(lease: Lease) -> QuerySet[Lease]:
    """Every record of this property's lease to this tenant shop, newest first."""
    return (
        Lease.objects.filter(property_id=lease.property_id, tenant_shop_id=lease.tenant_shop_id)
        .select_related("recorded_by")
        .order_by("-start_date", "-id")
    )


# --- Agreements -------------------------------------------------------------------------------


def _agreements() -> QuerySet[Agreement]:
    return Agreement.objects.select_related(
        "lease__property__landlord", "lease__tenant_shop", "decided_by"
    )


def agreements_of_landlord(user) -> QuerySet[Agreement]:
    return _agreements().filter(lease__property__landlord=user)


def owned_shop_ids(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        ShopMember.objects.filter(user=user, role=ShopMember.Role.OWNER).values_list(
            "shop_id", flat=True
        )
    )


def agreements_for_tenant(user) -> QuerySet[Agreement]:
    """Agreements naming a shop ``user`` owns (clerks sign nothing and see nothing)."""
    return _agreements().filter(lease__tenant_shop_id__in=owned_shop_ids(user))


def agreements_for_staff(
    *, status: str = "", district: str = "", flagged: bool | None = None
) -> QuerySet[Agreement]:
    qs = _agreements().order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if district:
        qs = qs.filter(lease__property__district=district)
    if flagged is True:
        qs = qs.exclude(clawback="")
    elif flagged is False:
        qs = qs.filter(clawback="")
    return qs


def agreement_districts() -> list[str]:
    return list(
        Property.objects.filter(leases__agreements__isnull=False)
        .order_by("district")
        .values_list("district", flat=True)
        .distinct()
    )


def agreement_viewer_role(*, user, agreement: Agreement) -> str | None:
    """``landlord``, ``tenant`` or ``staff``: how ``user`` may see ``agreement`` (or None)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if agreement.lease.property.landlord_id == user.pk:
        return "landlord"
    if ShopMember.objects.filter(
        shop_id=agreement.lease.tenant_shop_id, user=user, role=ShopMember.Role.OWNER
    ).exists():
        return "tenant"
    if is_rental_staff(user):
        return "staff"
    return None


def agreement_for_viewer(*, user, agreement_id: int) -> tuple[Agreement, str]:
    """The agreement and the viewer's role, or ``AgreementNotFoundError`` (404) for anyone
    who has nothing to do with it."""
    agreement = _agreements().filter(pk=agreement_id).first()
    role = agreement_viewer_role(user=user, agreement=agreement) if agreement else None
    if agreement is None or role is None:
        raise AgreementNotFoundError()
    return agreement, role


def agreement_signatures(agreement: Agreement) -> list[Signature]:
    """Signatures, newest first, each with ``is_current``: does it match the current terms?"""
    signatures = list(agreement.signatures.select_related("signer"))
    for signature in signatures:
        signature.is_current = signature.terms_hash == agreement.terms_hash
    return signatures


def agreement_signed_by(agreement: Agreement, party: str) -> Signature | None:
    """The party's signature on the current terms, if any."""
    return (
        agreement.signatures.select_related("signer")
        .filter(party=party, terms_hash=agreement.terms_hash)
        .first()
    )


def clawback_text(agreement: Agreement) -> str:
    """Why the agreement is flagged, in words, or ''."""
    if not agreement.clawback or agreement.clawback_lease_id is None:
        return ""
    record = agreement.clawback_lease
    values = {
        "date": record.start_date.isoformat(),
        "rent": won(record.monthly_rent),
        "before": won(agreement.rent_before),
        "deadline": rules.clawback_deadline(agreement.end_date).isoformat(),
    }
    if agreement.clawback == Agreement.Clawback.RENEWAL_OVER_CAP:
        values["cap"] = bp_percent(rental_policy_on(agreement.start_date).renewal_cap_bp)
        return (
            _(
                "The renewal from %(date)s raises the rent to %(rent)s, more than %(cap)s above the "
                "pre-cut rent of %(before)s, before %(deadline)s: the national credit would be "
                "clawed back."
            )
            % values
        )
    return (
        _(
            "The lease record from %(date)s raises the rent to %(rent)s, above the pre-cut rent of "
            "%(before)s, before %(deadline)s: the national credit would be clawed back."
        )
        % values
    )


def certificate_number(agreement: Agreement) -> str:
    """A stable reference for the participation certificate: GR-<year verified>-<agreement>."""
    year = (agreement.decided_at or agreement.created_at).year
    return f"GR-{year}-{agreement.pk:06d}"


def agreement_estimate(agreement: Agreement) -> rules.ReliefEstimate:
    """The landlord's relief estimates under the policy in force on the agreement's start."""
    policy = rental_policy_on(agreement.start_date)
    return rules.relief_estimate(
        total_reduction=agreement.total_reduction,
        property_tax_amount=agreement.property_tax_amount,
        income_over_threshold=agreement.income_over_threshold,
        property_tax_cut_bp=policy.property_tax_cut_bp,
        national_credit_bp=policy.national_credit_bp,
        national_credit_high_income_bp=policy.national_credit_high_income_bp,
    )


def with_estimates(agreements) -> list[Agreement]:
    """The agreements as a list, each with ``estimate`` set (one policy query per start date)."""
    policies: dict[dt.date, RentalPolicy] = {}
    result = []
    for agreement in agreements:
        policy = policies.get(agreement.start_date)
        if policy is None:
            policy = policies[agreement.start_date] = rental_policy_on(agreement.start_date)
        agreement.estimate = rules.relief_estimate(
            total_reduction=agreement.total_reduction,
            property_tax_amount=agreement.property_tax_amount,
            income_over_threshold=agreement.income_over_threshold,
            property_tax_cut_bp=policy.property_tax_cut_bp,
            national_credit_bp=policy.national_credit_bp,
            national_credit_high_income_bp=policy.national_credit_high_income_bp,
        )
        result.append(agreement)
    return result


# --- The report (the dashboard's good-rental section) -----------------------------------------

REPORT_SCOPES = ("verified", "active")


@dataclass(frozen=True)
class ReportRow:
    district: str
    landlords: int
    tenant_shops: int
    agreements: int
    monthly_reduction: int
    total_reduction: int


@dataclass(frozen=True)
class RentalReport:
    scope: str
    rows: list[ReportRow] = field(default_factory=list)
    total: ReportRow | None = None


def rental_report(*, scope: str = "verified") -> RentalReport:
    """Landlords, tenant shops, agreements, monthly and total reduction in won, by district of
    the property. ``scope`` is ``verified`` (verified agreements) or ``active`` (proposed,
    signed and verified). The total row counts each landlord and shop once, even when they
    appear in several districts, so it is not the sum of the rows' counts."""
    statuses = [Agreement.Status.VERIFIED] if scope == "verified" else list(ACTIVE_STATUSES)
    qs = Agreement.objects.filter(status__in=statuses)
    measures = {
        "landlords": Count("lease__property__landlord", distinct=True),
        "tenant_shops": Count("lease__tenant_shop", distinct=True),
        "agreements": Count("id"),
        "monthly_reduction": Sum("monthly_reduction"),
        "total_reduction": Sum("total_reduction"),
    }
    rows = [
        ReportRow(
            district=r["lease__property__district"],
            landlords=r["landlords"],
            tenant_shops=r["tenant_shops"],
            agreements=r["agreements"],
            monthly_reduction=r["monthly_reduction"] or 0,
            total_reduction=r["total_reduction"] or 0,
        )
        for r in qs.values("lease__property__district")
        .annotate(**measures)
        .order_by("lease__property__district")
    ]
    t = qs.aggregate(**measures)
    total = ReportRow(
        district="",
        landlords=t["landlords"] or 0,
        tenant_shops=t["tenant_shops"] or 0,
        agreements=t["agreements"] or 0,
        monthly_reduction=t["monthly_reduction"] or 0,
        total_reduction=t["total_reduction"] or 0,
    )
    return RentalReport(scope=scope, rows=rows, total=total)


def agreement_counts_by_status() -> dict[str, int]:
    return dict(
        Agreement.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )


def flagged_count() -> int:
    return Agreement.objects.filter(~Q(clawback="")).count()


def agreement_warnings(agreement, *, today: dt.date | None = None) -> list[str]:
    """What staff should know before verifying: a lease that has ended, a cut whose months are
    over. Verifying stays possible (a late verification of a real cut is legitimate); the page
    asks for a confirmation when there is a warning."""
    today = today or business_date_today()
    lease = agreement.lease
    warnings = []
    if lease.end_date < today:
        warnings.append(
            _("The lease ended on %(date)s: check that the tenant was still renting then.")
            % {"date": lease.end_date.isoformat()}
        )
    if agreement.end_date < today:
        warnings.append(
            _("The rent cut ended on %(date)s; it is verified after the fact.")
            % {"date": agreement.end_date.isoformat()}
        )
    return warnings
