"""Every change to users and roles."""

from __future__ import annotations

import logging

from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from jeonju_prepay import ratelimit

from .exceptions import AccountError, InvalidCredentialsError, TooManyAttemptsError
from .models import User
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
    email address is taken."""
    email = (email or "").strip().lower()
    if not email:
        raise AccountError(_("An email address is required."))
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(_("An account with this email address exists already."))
    user = User.objects.create_user(email=email, password=password, name=name, phone=phone)
    for role in roles:
        role_grant(user=user, role=role)
    return user


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
