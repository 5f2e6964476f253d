"""Counter devices authenticate with their own token: ``Authorization: Token dt_...``."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from jeonju_prepay.db import instance_from_values

from .codes import DEVICE_TOKEN_PREFIX, token_hash
from .models import Device, Shop

LAST_USED_RESOLUTION = timedelta(minutes=1)


class DevicePrincipal:
    """``request.user`` for a counter device: authenticated, but nobody's account."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, device: Device):
        self.device = device
        self.shop = device.shop

    def __str__(self) -> str:
        return f"device {self.device.pk} of shop {self.shop.pk}"

    def has_perm(self, perm, obj=None) -> bool:
        return False

    @property
    def roles(self) -> set[str]:
        return set()


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("Token", "Device")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2:
            return None
        keyword, raw = header[0].decode("latin-1"), header[1]
        if keyword not in self.keywords:
            return None
        try:
            token = raw.decode("ascii")
        except UnicodeDecodeError:
            return None
        if not token.startswith(DEVICE_TOKEN_PREFIX):
            return None  # a person's token: UserTokenAuthentication takes it
        device = _active_device(token_hash(token))
        if device is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked device token."))
        if device.shop.status == Shop.Status.CLOSED:
            raise exceptions.AuthenticationFailed(_("This shop is closed."))
        if device.shop.status != Shop.Status.APPROVED:
            # A device registered while the shop waited for review (or while it is suspended)
            # identifies nobody and takes no money until the city approves the shop.
            raise exceptions.PermissionDenied(
                _("This shop is not approved, so its counter devices cannot be used yet.")
            )
        now = timezone.now()
        if device.last_used_at is None or now - device.last_used_at > LAST_USED_RESOLUTION:
            Device.objects.filter(pk=device.pk).update(last_used_at=now)
        return DevicePrincipal(device), device

    def authenticate_header(self, request):
        return "Token"


def _active_device(digest: str) -> Device | None:
    """The device with this token hash and its shop, in one call of ``counter_device()``
    (merchants migration 0003): every counter request pays for this look-up, and a plain
    SELECT spent longer being planned than being run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM counter_device(%s)", [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    device = instance_from_values(
        Device, dict(zip(("id", "shop_id", "name", "last_used_at"), row[:4], strict=True))
    )
    device.shop = instance_from_values(
        Shop,
        dict(
            zip(
                ("id", "name", "status", "sales_bracket", "public_code"),
                (row[1], *row[4:]),
                strict=True,
            )
        ),
    )
    return device
