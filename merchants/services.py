"""Every change to shops, their people, devices and the citizens' payment codes."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import role_grant
from districts.services import district_check
from jeonju_prepay.db import instance_from_values

from . import brn, codes
from .exceptions import (
    CodeLookupLimitedError,
    DuplicateBusinessNumberError,
    InvitationError,
    PaymentCodeExpiredError,
    PaymentCodeUnknownError,
    PaymentCodeUsedError,
    ShopError,
    ShopIneligibleError,
    ShopNotApprovedError,
    ShopPermissionError,
    ShopStatusError,
)
from .models import (
    Category,
    ClerkInvitation,
    CodeLookupFailure,
    Device,
    EligibilityRefusal,
    PaymentCode,
    SalesBracket,
    Shop,
    ShopEvent,
    ShopMember,
    ShopPolicy,
)
from .selectors import category_label, shop_policy_current

logger = logging.getLogger(__name__)

PAYMENT_CODE_TTL = timedelta(minutes=3)
INVITATION_TTL = timedelta(days=7)
# Failed code look-ups allowed in LOOKUP_WINDOW before the counter must wait.
LOOKUP_WINDOW = timedelta(minutes=10)
LOOKUP_LIMIT_PER_DEVICE = 10
LOOKUP_LIMIT_PER_USER = 10
LOOKUP_LIMIT_PER_SHOP = 30


# --- Registration and eligibility -----------------------------------------------------------


def shop_eligibility(*, category: str, sales_bracket: str, policy: ShopPolicy | None = None):
    """The reasons city policy refuses a shop (empty when it may join)."""
    policy = policy or shop_policy_current()
    reasons = []
    if category in set(policy.excluded_categories):
        reasons.append(
            _("Shops in the category %(category)s cannot join under the city's policy.")
            % {"category": category_label(category)}
        )
    if SalesBracket.rank(sales_bracket) > SalesBracket.rank(policy.sales_ceiling):
        reasons.append(
            _("Annual sales above %(ceiling)s are over the city's ceiling for this programme.")
            % {"ceiling": SalesBracket(policy.sales_ceiling).label}
        )
    return reasons


@dataclass(frozen=True)
class ShopDetails:
    name: str
    business_number: str
    category: str
    district: str
    address: str
    phone: str
    sales_bracket: str
    bank_name: str
    bank_account: str
    bank_holder: str


def shop_register(*, owner: User, details: ShopDetails) -> Shop:
    """Register a shop for review (status ``pending``) with ``owner`` as its owner.

    Raises ``InvalidBusinessNumberError`` (check digit), ``DuplicateBusinessNumberError``, or
    ``ShopIneligibleError`` with the policy's reasons; an ineligible attempt is kept in
    ``EligibilityRefusal`` for staff, nothing else is written.
    """
    number = brn.parse(details.business_number)
    if details.category not in Category.values or details.sales_bracket not in SalesBracket.values:
        raise ShopError(_("Choose a category and an annual-sales bracket from the lists."))
    bank_account = re.sub(r"[\s-]", "", details.bank_account)
    if not bank_account.isascii() or not bank_account.isdigit() or not 8 <= len(bank_account) <= 20:
        raise ShopError(_("A settlement account number is 8 to 20 digits."))
    if Shop.objects.filter(business_number=number).exists():
        raise DuplicateBusinessNumberError()
    district = district_check(details.district)
    reasons = shop_eligibility(category=details.category, sales_bracket=details.sales_bracket)
    if reasons:
        EligibilityRefusal.objects.create(
            user=owner,
            shop_name=details.name[:100],
            business_number=number,
            category=details.category,
            sales_bracket=details.sales_bracket,
            reason=" ".join(reasons),
        )
        raise ShopIneligibleError(" ".join(reasons), reasons=reasons)
    try:
        with transaction.atomic():
            shop = Shop.objects.create(
                owner=owner,
                name=details.name.strip(),
                business_number=number,
                category=details.category,
                district=district,
                address=details.address.strip(),
                phone=details.phone.strip(),
                sales_bracket=details.sales_bracket,
                bank_name=details.bank_name.strip(),
                bank_account=bank_account,
                bank_holder=details.bank_holder.strip(),
                public_code=secrets.token_urlsafe(12),
            )
            ShopMember.objects.create(shop=shop, user=owner, role=ShopMember.Role.OWNER)
            role_grant(user=owner, role=Role.MERCHANT_OWNER)
            ShopEvent.objects.create(
                shop=shop, actor=owner, action="registered", to_status=shop.status
            )
    except IntegrityError as exc:  # a concurrent registration of the same number
        raise DuplicateBusinessNumberError() from exc
    return shop


EDITABLE_FIELDS = ("name", "district", "address", "phone", "bank_name", "bank_holder")


@transaction.atomic
def shop_update(*, shop: Shop, by: User, **changes) -> Shop:
    """The owner edits the shop's profile (not its number, category or sales: those are
    reviewed). Changing the settlement account is logged."""
    _require_owner(shop, by)
    fields = []
    for name, value in changes.items():
        if name == "bank_account":
            value = re.sub(r"[\s-]", "", value)
            if not value.isascii() or not value.isdigit() or not 8 <= len(value) <= 20:
                raise ShopError(_("A settlement account number is 8 to 20 digits."))
        elif name not in EDITABLE_FIELDS:
            raise ShopError(_("This field cannot be changed here."))
        elif name == "district" and value != shop.district:
            value = district_check(value)
        if getattr(shop, name) != value:
            setattr(shop, name, value)
            fields.append(name)
    if fields:
        shop.save(update_fields=[*fields, "updated_at"])
        ShopEvent.objects.create(
            shop=shop, actor=by, action="profile_changed", reason=", ".join(fields)
        )
    return shop


# --- Review by city staff ------------------------------------------------------------------------

_TRANSITIONS = {
    "approve": ({Shop.Status.PENDING, Shop.Status.SUSPENDED}, Shop.Status.APPROVED),
    "reject": ({Shop.Status.PENDING}, Shop.Status.CLOSED),
    "suspend": ({Shop.Status.APPROVED}, Shop.Status.SUSPENDED),
    "close": ({Shop.Status.APPROVED, Shop.Status.SUSPENDED}, Shop.Status.CLOSED),
    "resubmit": ({Shop.Status.CLOSED}, Shop.Status.PENDING),
}


@transaction.atomic
def shop_review(*, shop: Shop, by: User, action: str, reason: str = "") -> Shop:
    """Staff approve, reject, suspend or close a shop (``reason`` required but for approve).

    Locks the shop row. Refused transitions raise ``ShopStatusError`` and change nothing.
    A rejection closes a registration that was never approved (``Shop.is_rejected``).
    """
    if action not in ("approve", "reject", "suspend", "close"):
        raise ShopError(_("Unknown action."))
    if not by.has_perm("merchants.review_shop"):
        raise ShopPermissionError(_("Only city staff review shops."))
    reason = (reason or "").strip()
    if action != "approve" and not reason:
        raise ShopError(_("Give a reason; the owner will see it."))
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    allowed, target = _TRANSITIONS[action]
    if shop.status not in allowed:
        raise ShopStatusError(
            _("A shop that is %(status)s cannot be changed that way.")
            % {"status": shop.get_status_display()}
        )
    now = timezone.now()
    previous = shop.status
    shop.status = target
    shop.status_reason = reason
    shop.reviewed_by = by
    shop.reviewed_at = now
    if action == "approve" and shop.approved_at is None:
        shop.approved_at = now
    if action == "close":
        shop.closed_at = now
    shop.save()
    ShopEvent.objects.create(
        shop=shop, actor=by, action=action, from_status=previous, to_status=target, reason=reason
    )
    return shop


@transaction.atomic
def shop_resubmit(*, shop: Shop, by: User) -> Shop:
    """An owner sends a rejected registration back for review after fixing it."""
    _require_owner(shop, by)
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    if not shop.is_rejected:
        raise ShopStatusError(_("Only a rejected registration can be sent again."))
    shop.status = Shop.Status.PENDING
    shop.save(update_fields=["status", "updated_at"])
    ShopEvent.objects.create(
        shop=shop, actor=by, action="resubmit", from_status="closed", to_status="pending"
    )
    return shop


@transaction.atomic
def shop_policy_set(*, by: User, sales_ceiling: str, excluded_categories: list[str]) -> ShopPolicy:
    if not by.has_perm("merchants.review_shop"):
        raise ShopPermissionError()
    if sales_ceiling not in SalesBracket.values or not set(excluded_categories) <= set(
        Category.values
    ):
        raise ShopError(_("Choose values from the lists."))
    return ShopPolicy.objects.create(
        sales_ceiling=sales_ceiling, excluded_categories=excluded_categories, changed_by=by
    )


# --- People and devices ---------------------------------------------------------------------


def _require_owner(shop: Shop, user: User) -> None:
    if not ShopMember.objects.filter(shop=shop, user=user, role=ShopMember.Role.OWNER).exists():
        raise ShopPermissionError(_("Only the shop's owner can do this."))


def _require_member(shop: Shop, user: User) -> None:
    if not ShopMember.objects.filter(shop=shop, user=user).exists():
        raise ShopPermissionError()


def clerk_invite(*, shop: Shop, by: User, email: str) -> str:
    """Invite a clerk by email; returns the secret token for the invitation link (shown once)."""
    _require_owner(shop, by)
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise ShopError(_("Enter the clerk's email address."))
    token = secrets.token_urlsafe(24)
    ClerkInvitation.objects.create(
        shop=shop,
        email=email,
        token_hash=codes.token_hash(token),
        invited_by=by,
        expires_at=timezone.now() + INVITATION_TTL,
    )
    return token


@transaction.atomic
def clerk_invitation_accept(*, token: str, user: User) -> ShopMember:
    """The invited person (signed in with the invited email) becomes a clerk of the shop."""
    invitation = (
        ClerkInvitation.objects.select_for_update()
        .select_related("shop")
        .filter(token_hash=codes.token_hash(token or ""))
        .first()
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.expires_at <= timezone.now()
        or invitation.email != user.email.lower()
    ):
        raise InvitationError()
    member, _created = ShopMember.objects.get_or_create(
        shop=invitation.shop, user=user, defaults={"role": ShopMember.Role.CLERK}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    role_grant(user=user, role=Role.MERCHANT_CLERK)
    ShopEvent.objects.create(shop=invitation.shop, actor=user, action="clerk_joined")
    return member


@transaction.atomic
def clerk_remove(*, shop: Shop, by: User, member_id: int) -> None:
    _require_owner(shop, by)
    member = ShopMember.objects.filter(shop=shop, pk=member_id, role=ShopMember.Role.CLERK).first()
    if member is None:
        raise ShopError(_("No such clerk at this shop."))
    member.delete()
    ShopEvent.objects.create(shop=shop, actor=by, action="clerk_removed", reason=str(member.user))


def device_register(*, shop: Shop, by: User | None, name: str) -> tuple[Device, str]:
    """Register a counter device; returns it with its API token, which is shown only once.

    Owners and clerks may register devices (``by`` None: a setup command run by an operator).
    """
    if by is not None:
        _require_member(shop, by)
    name = (name or "").strip()[:50] or _("Counter")
    token = codes.new_device_token()
    device = Device.objects.create(
        shop=shop,
        name=name,
        token_hash=codes.token_hash(token),
        token_prefix=token[:10],
        registered_by=by,
    )
    return device, token


@transaction.atomic
def device_revoke(*, device: Device, by: User) -> Device:
    _require_member(device.shop, by)
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        ShopEvent.objects.create(
            shop=device.shop, actor=by, action="device_revoked", reason=device.name
        )
    return device


# --- Payment codes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    number: str
    qr_token: str
    expires_at: datetime

    @property
    def number_display(self) -> str:
        return codes.format_number(self.number)


def payment_code_issue(*, user: User) -> IssuedCode:
    """A new single-use code for ``user``, valid ``PAYMENT_CODE_TTL``. Earlier unused codes of
    the user stop working, so only the code on the screen can be spent."""
    now = timezone.now()
    expires_at = now + PAYMENT_CODE_TTL
    for _attempt in range(5):
        number, secret = codes.new_number(), codes.new_qr_secret()
        try:
            with transaction.atomic():
                PaymentCode.objects.filter(
                    user=user, used_at__isnull=True, expires_at__gt=now
                ).update(expires_at=now)
                PaymentCode.objects.create(
                    user=user,
                    number_hash=codes.number_hash(number),
                    token_hash=codes.qr_hash(secret),
                    expires_at=expires_at,
                )
        except IntegrityError:  # a number that was issued before: draw again
            continue
        return IssuedCode(number, codes.qr_token_sign(secret), expires_at)
    raise ShopError(_("Could not issue a code; try again."))


@dataclass(frozen=True)
class ResolvedCode:
    """A valid, unused payment code and whose it is (what the counter and payments need)."""

    pk: int
    user: User
    expires_at: datetime
    citizen_group: str | None  # from the citizen's wallet, when there is one


# One round trip (``payment_code_find()``, merchants migration 0003, where the plan is kept per
# connection): the recent failures at this shop (for the limits) and the code with its citizen.
# The failure counts use the (shop, created_at) index. Only unknown and malformed codes count
# toward the limits (they are what guessing produces); a used or expired code is logged and
# answered, but a retried payment presenting its spent code is not an attack.
_RESOLVE_SQL = "SELECT * FROM payment_code_find(%s, %s, %s, %s, %s, %s)"


def payment_code_resolve(
    *,
    code: str,
    shop: Shop,
    device: Device | None = None,
    actor: User | None = None,
    client_ip: str | None = None,
) -> ResolvedCode:
    """The valid, unused code typed or scanned at ``shop``'s counter.

    Every failure is logged (``CodeLookupFailure``, committed at once, outside any money
    transaction) and counted; past the limits per device, per person and per shop the counter
    gets ``CodeLookupLimitedError`` whatever the code. Raises ``PaymentCodeUnknownError``,
    ``PaymentCodeExpiredError`` or ``PaymentCodeUsedError``.
    """
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotApprovedError()
    text = (code or "").strip()
    digits = text.replace(" ", "").replace("-", "")
    device_id, actor_id = getattr(device, "pk", None), getattr(actor, "pk", None)
    code_hash, by_number = "", False
    reason = CodeLookupFailure.Reason.MALFORMED
    if len(digits) == 16 and digits.isascii() and digits.isdigit():
        code_hash, by_number = codes.number_hash(digits), True
        reason = CodeLookupFailure.Reason.UNKNOWN
    else:
        secret = codes.qr_token_unsign(text) if 0 < len(text) <= 200 else None
        if secret is not None:
            code_hash = codes.qr_hash(secret)
            reason = CodeLookupFailure.Reason.UNKNOWN
    with connection.cursor() as cursor:
        cursor.execute(
            _RESOLVE_SQL,
            [code_hash, by_number, shop.pk, device_id, actor_id, timezone.now() - LOOKUP_WINDOW],
        )
        per_shop, per_device, per_actor, code_id, expires_at, used_at, *person = cursor.fetchone()
    limited = (
        per_shop >= LOOKUP_LIMIT_PER_SHOP
        or (device is not None and per_device >= LOOKUP_LIMIT_PER_DEVICE)
        or (actor is not None and per_actor >= LOOKUP_LIMIT_PER_USER)
        or (
            actor is not None
            and per_actor
            and _actor_failures_everywhere(actor) >= LOOKUP_LIMIT_PER_USER
        )
    )
    if limited:
        logger.warning("code look-ups limited at shop %s (device %s)", shop.pk, device)
        raise CodeLookupLimitedError()
    error: Exception | None = None
    if code_id is None or not code_hash:
        error = PaymentCodeUnknownError()
    elif used_at is not None:
        reason, error = CodeLookupFailure.Reason.USED, PaymentCodeUsedError()
    elif expires_at <= timezone.now():
        reason, error = CodeLookupFailure.Reason.EXPIRED, PaymentCodeExpiredError()
    if error is not None:
        CodeLookupFailure.objects.create(
            shop=shop, device=device, actor=actor, reason=reason, client_ip=client_ip
        )
        logger.info("code look-up failed at shop %s: %s", shop.pk, reason)
        raise error
    user_id, email, name, citizen_group = person
    user = instance_from_values(User, {"id": user_id, "email": email, "name": name})
    return ResolvedCode(code_id, user, expires_at, citizen_group)


def _actor_failures_everywhere(actor: User) -> int:
    """A person failing at several shops counts too (asked only when they failed here)."""
    since = timezone.now() - LOOKUP_WINDOW
    return CodeLookupFailure.objects.filter(
        actor=actor, created_at__gte=since, reason__in=["unknown", "malformed"]
    ).count()
