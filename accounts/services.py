"""Every change to users, roles, consents and sign-in codes."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from jeonju_prepay import ratelimit

from .consents import CONSENT_ITEMS, SERVICE, marketing_items, required_items
from .exceptions import (
    AccountError,
    ConsentRequiredError,
    InvalidCredentialsError,
    InvalidSignInCodeError,
    TooManyAttemptsError,
)
from .models import ConsentRecord, SignInCode, User
from .phone import phone_mask, phone_normalise
from .roles import ROLE_PERMISSIONS, Role

logger = logging.getLogger(__name__)

TOKEN_FAILURES_PER_IP = ratelimit.Limit("token-ip", 10, 300)
TOKEN_FAILURES_PER_EMAIL = ratelimit.Limit("token-email", 5, 300)


def roles_sync(*, using: str = "default") -> None:
    """Create one group per role and give it exactly the permissions of ``ROLE_PERMISSIONS``.

    Runs after every migrate, in every schema. A permission whose app is not installed is skipped.
    """
    for role, perm_names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        perms = []
        for perm_name in perm_names:
            app_label, codename = perm_name.split(".", 1)
            perm = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if perm is None:
                logger.debug("permission %s not (yet) defined", perm_name)
                continue
            perms.append(perm)
        group.permissions.set(perms)


def role_grant(*, user: User, role: str) -> None:
    if role not in Role.values:
        raise AccountError(_("Unknown role."))
    group, _created = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    user.__dict__.pop("_roles_cache", None)


def role_revoke(*, user: User, role: str) -> None:
    group = Group.objects.filter(name=role).first()
    if group is not None:
        user.groups.remove(group)
    user.__dict__.pop("_roles_cache", None)


@transaction.atomic
def user_create(
    *, email: str, password: str | None, name: str = "", phone: str = "", roles=(Role.CITIZEN,)
) -> User:
    """Create a user of the current city with the given roles. Raises ``AccountError`` if the
    email address or the mobile number is taken, ``PhoneNumberError`` for a number that is not
    a Korean mobile number."""
    email = (email or "").strip().lower()
    if not email:
        raise AccountError(_("An email address is required."))
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(_("An account with this email address exists already."))
    phone = phone_normalise(phone) if phone else ""
    _check_phone_free(phone)
    user = User.objects.create_user(email=email, password=password, name=name, phone=phone)
    for role in roles:
        role_grant(user=user, role=role)
    return user


def _check_phone_free(phone: str) -> None:
    if phone and User.objects.filter(phone=phone).exists():
        raise AccountError(
            _("An account with this mobile number exists already."), code="phone_taken"
        )


def user_create_assisted(
    *,
    created_by: User,
    phone: str,
    name: str,
    language: str = "ko",
    marketing: Iterable[str] = (),
    ip_address: str | None = None,
) -> User:
    """Create a citizen's account at a community centre: a mobile number and a name, no email
    and no password (the citizen signs in with a code sent to the phone).

    Only city staff and community-centre staff may do it; the staff member is recorded on the user (``created_by``) and on
    each consent record (``recorded_by``). The required consents are recorded as given by the
    citizen at the counter; ``marketing`` lists the channels the citizen agreed to receive
    advertising on. Raises ``AccountError`` (``forbidden``, ``phone_taken``, ``name_required``)
    or ``PhoneNumberError``; nothing is written then."""
    if not (created_by.has_role(Role.CITY_STAFF) or created_by.has_role(Role.COMMUNITY_STAFF)):
        raise AccountError(_("Only city staff can create accounts for citizens."), code="forbidden")
    marketing = set(marketing)
    name = (name or "").strip()
    if not name:
        raise AccountError(_("A name is required."), code="name_required")
    phone = phone_normalise(phone)
    try:
        with transaction.atomic():
            _check_phone_free(phone)
            user = User.objects.create_user(
                email=None,
                password=None,
                name=name[:50],
                phone=phone,
                language=language if language in ("ko", "en") else "ko",
                created_by=created_by,
            )
            role_grant(user=user, role=Role.CITIZEN)
            granted = {item.code: True for item in required_items()}
            granted.update({item.code: item.channel in marketing for item in marketing_items()})
            consents_record(
                user=user,
                choices=granted,
                source=ConsentRecord.Source.ASSISTED,
                recorded_by=created_by,
                ip_address=ip_address,
                language=user.language,
                record_all=True,
            )
    except IntegrityError as exc:  # the same number, created at the same moment elsewhere
        raise AccountError(
            _("An account with this mobile number exists already."), code="phone_taken"
        ) from exc
    logger.info("assisted sign-up of %s by staff %s", phone_mask(phone), created_by.pk)
    return user


# --- Consents (Personal Information Protection Act) -------------------------------------------


def consents_record(
    *,
    user: User,
    choices: dict[str, bool],
    source: str,
    recorded_by: User | None = None,
    ip_address: str | None = None,
    language: str | None = None,
    record_all: bool = False,
) -> list[ConsentRecord]:
    """Append one record per item of ``choices`` whose state changes (a grant of an item last
    answered for an older text counts as a change), with the version of the text in force; with
    ``record_all`` (sign-up), one per item whatever its state. Records are never changed
    afterwards.

    A required item can only be granted here: it is withdrawn by leaving the service
    (``ConsentRequiredError`` otherwise). Unknown items raise ``AccountError``."""
    from .selectors import consents_current

    for code, granted in choices.items():
        item = CONSENT_ITEMS.get(code)
        if item is None:
            raise AccountError(_("Unknown consent item."), code="consent_unknown")
        if item.required and not granted:
            raise ConsentRequiredError()
    current = consents_current(user=user)
    language = language or (get_language() or "ko")[:2]
    rows = [
        ConsentRecord(
            user=user,
            item=code,
            granted=bool(granted),
            text_version=CONSENT_ITEMS[code].version,
            language=language,
            source=source,
            recorded_by=recorded_by,
            ip_address=ip_address,
        )
        for code, granted in choices.items()
        if record_all
        or current[code].granted != bool(granted)
        or (granted and current[code].outdated)
    ]
    return ConsentRecord.objects.bulk_create(rows)


def consents_at_signup(
    *, user: User, accepted: Iterable[str], ip_address: str | None = None
) -> list[ConsentRecord]:
    """Record the consents ticked on the sign-up form: every required item (the form refuses a
    sign-up without them; ``ConsentRequiredError`` here if one is missing), and each optional
    item as ticked or not (an unticked one is recorded as refused, with the text shown)."""
    accepted = set(accepted)
    missing = [item for item in required_items() if item.code not in accepted]
    if missing:
        raise ConsentRequiredError()
    choices = {
        code: (code in accepted) for code, item in CONSENT_ITEMS.items() if item.kind != SERVICE
    }
    return consents_record(
        user=user,
        choices=choices,
        source=ConsentRecord.Source.SIGNUP,
        ip_address=ip_address,
        record_all=True,
    )


# --- Sign-in with a mobile number and a one-time code --------------------------------------------

OTP_DIGITS = 6
OTP_LIFETIME = timedelta(minutes=3)
OTP_TRIES_PER_CODE = 3
# Sending: at most one code a minute (the window before counts too: 1-2 minutes between codes),
# 5 an hour for one number, 20 an hour from one address.
OTP_RESEND_GAP = ratelimit.Limit("otp-resend", 1, 60)
OTP_SENDS_PER_PHONE = ratelimit.Limit("otp-send-phone", 5, 3600)
OTP_SENDS_PER_IP = ratelimit.Limit("otp-send-ip", 20, 3600)
# Checking: the same limits as a password (TOKEN_FAILURES_PER_*, allauth's login_failed).
OTP_FAILURES_PER_PHONE = ratelimit.Limit("otp-fail-phone", 5, 300)
OTP_FAILURES_PER_IP = ratelimit.Limit("otp-fail-ip", 10, 300)

# Who sends the code: the messaging app registers itself here (it sits above accounts, which
# cannot import it). Called with the code's id and the plain code, after the code is committed.
_otp_sender: Callable[..., None] | None = None


def otp_sender_register(sender: Callable[..., None]) -> None:
    global _otp_sender
    _otp_sender = sender


def otp_hash(*, phone: str, code: str, salt: str) -> str:
    return salted_hmac("accounts.otp", f"{phone}:{code}:{salt}", algorithm="sha256").hexdigest()


def otp_request(*, phone: str, client_ip: str | None) -> SignInCode | None:
    """Send a 6-digit sign-in code to ``phone`` if an active account has that number.

    The caller learns nothing about the number: an unknown number gets a code row like a known
    one (no user, nothing sent), the same answer and the same limits. Raises
    ``PhoneNumberError`` for a malformed number and ``TooManyAttemptsError`` past the limits
    (one code a minute and 5 an hour per number, 20 an hour per address). A new code replaces
    the number's earlier ones. Returns the code row (for tests and the sandbox); the plain code
    leaves this function only towards the message provider."""
    phone = phone_normalise(phone)
    address = client_ip or "unknown"
    for limit, subject in (
        (OTP_RESEND_GAP, phone),
        (OTP_SENDS_PER_PHONE, phone),
        (OTP_SENDS_PER_IP, address),
    ):
        if ratelimit.is_limited(limit, subject):
            raise TooManyAttemptsError(
                _("Too many codes were asked for. Wait a few minutes and try again.")
            )
    ratelimit.hit(OTP_RESEND_GAP, phone)
    ratelimit.hit(OTP_SENDS_PER_PHONE, phone)
    ratelimit.hit(OTP_SENDS_PER_IP, address)
    user = User.objects.filter(phone=phone, is_active=True).first()
    code = f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"
    salt = secrets.token_hex(8)
    now = timezone.now()
    with transaction.atomic():
        SignInCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
        row = SignInCode.objects.create(
            phone=phone,
            code_hash=f"{salt}${otp_hash(phone=phone, code=code, salt=salt)}",
            user=user,
            expires_at=now + OTP_LIFETIME,
            ip_address=client_ip,
        )
        if user is not None and _otp_sender is not None:
            sender = _otp_sender
            transaction.on_commit(lambda: sender(code_id=row.pk, code=code, user_id=user.pk))
    if user is not None and _otp_sender is None:
        logger.error("no sender registered for sign-in codes: is 'messaging' installed?")
    logger.info("sign-in code asked for %s from %s", phone_mask(phone), address)
    return row


def otp_verify(*, phone: str, code: str, client_ip: str | None) -> User:
    """Check a sign-in code and return its user; the code is spent.

    Refusals (``InvalidSignInCodeError``, the same for an unknown number, a wrong, expired or
    used code) count against the number and the address like a wrong password; past the limits
    ``TooManyAttemptsError`` is raised without the code being checked. A code takes
    ``OTP_TRIES_PER_CODE`` tries, then a new one must be asked for. Locks the code row."""
    phone = phone_normalise(phone)
    address = client_ip or "unknown"
    if ratelimit.is_limited(OTP_FAILURES_PER_PHONE, phone) or ratelimit.is_limited(
        OTP_FAILURES_PER_IP, address
    ):
        raise TooManyAttemptsError()
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        row = (
            SignInCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
            .order_by("-id")
            .first()
        )
        matched = False
        if row is not None and row.attempts < OTP_TRIES_PER_CODE:
            salt, _sep, digest = row.code_hash.partition("$")
            matched = constant_time_compare(digest, otp_hash(phone=phone, code=code, salt=salt))
            if matched and row.user_id is not None and row.user.is_active:
                row.used_at = now
                row.attempts = F("attempts") + 1
                row.save(update_fields=["used_at", "attempts"])
                return row.user
            SignInCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    ratelimit.hit(OTP_FAILURES_PER_PHONE, phone)
    ratelimit.hit(OTP_FAILURES_PER_IP, address)
    logger.warning("sign-in code refused for %s from %s", phone_mask(phone), address)
    raise InvalidSignInCodeError()


def api_token_for_user(*, user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


def staff_create(*, created_by: User, email: str, password: str, name: str) -> User:
    """City staff create other city staff; nobody else can."""
    if not created_by.has_perm("accounts.create_staff"):
        raise AccountError(_("Only city staff can create staff accounts."), code="forbidden")
    return user_create(email=email, password=password, name=name, roles=(Role.CITY_STAFF,))


def api_token_obtain(*, email: str, password: str, client_ip: str | None) -> str:
    """Check the password and return the user's API token (created once, reused).

    Failed attempts are counted per client address and per email address; past the limit the
    caller gets ``TooManyAttemptsError`` (429) without the password being checked.
    """
    email = (email or "").strip().lower()
    client_ip = client_ip or "unknown"
    if ratelimit.is_limited(TOKEN_FAILURES_PER_IP, client_ip) or ratelimit.is_limited(
        TOKEN_FAILURES_PER_EMAIL, email
    ):
        raise TooManyAttemptsError()
    user = authenticate(username=email, password=password) if email and password else None
    if user is None or not user.is_active:
        ratelimit.hit(TOKEN_FAILURES_PER_IP, client_ip)
        ratelimit.hit(TOKEN_FAILURES_PER_EMAIL, email)
        logger.warning("api token: failed attempt for %s from %s", email[:3] + "***", client_ip)
        raise InvalidCredentialsError()
    token, _created = Token.objects.get_or_create(user=user)
    return token.key
