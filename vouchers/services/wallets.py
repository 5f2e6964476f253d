"""The wallet row and the payment PIN."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.exceptions import TooManyAttemptsError
from accounts.models import User
from jeonju_prepay import ratelimit
from jeonju_prepay.exceptions import ApplicationError

from ..exceptions import PinInvalidError, PinLockedError, PinNotSetError, PinRequiredError
from ..models import Wallet

PIN_MAX_FAILURES = 5
PIN_LOCK = timedelta(minutes=30)
# Wrong account passwords on the PIN form, per citizen.
PIN_PASSWORD_FAILURES = ratelimit.Limit("pin-password", 5, 15 * 60)


def wallet_get_or_create(*, user: User) -> Wallet:
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        try:
            with transaction.atomic():
                wallet = Wallet.objects.create(user=user)
        except IntegrityError:
            wallet = Wallet.objects.get(user=user)
    return wallet


def _check_pin_shape(pin) -> str:
    pin = "" if pin is None else str(pin)
    if len(pin) != 6 or not pin.isascii() or not pin.isdigit():
        raise PinInvalidError(_("A payment PIN is exactly 6 digits."))
    return pin


def pin_set(*, user: User, pin: str, password: str) -> Wallet:
    """Set or reset the payment PIN; the account password confirms it is the citizen. Resetting
    also lifts a lock-out.

    Wrong passwords are counted (``PIN_PASSWORD_FAILURES``): without a limit this form would let
    whoever holds a signed-in session guess the account password forever. Past the limit it
    raises ``TooManyAttemptsError`` (429) without checking the password."""
    pin = _check_pin_shape(pin)
    if ratelimit.is_limited(PIN_PASSWORD_FAILURES, str(user.pk)):
        raise TooManyAttemptsError()
    if not user.check_password(password or ""):
        ratelimit.hit(PIN_PASSWORD_FAILURES, str(user.pk))
        raise PinInvalidError(_("Your account password is not correct."), code="password_invalid")
    wallet = wallet_get_or_create(user=user)
    Wallet.objects.filter(pk=wallet.pk).update(
        pin_hash=make_password(pin), pin_failures=0, pin_locked_until=None
    )
    wallet.refresh_from_db()
    return wallet


def pin_verify(*, user: User, pin) -> None:
    """Check the payment PIN in a transaction of its own, so a failure is counted even though
    the payment that needed it changes nothing. Five wrong PINs lock payments for 30 minutes.

    Locks the wallet row. Raises ``PinRequiredError``, ``PinNotSetError``, ``PinInvalidError``
    (with the tries left) or ``PinLockedError`` (429).
    """
    if pin in (None, ""):
        raise PinRequiredError()
    wallet = wallet_get_or_create(user=user)
    with transaction.atomic():
        wallet = Wallet.objects.select_for_update().get(pk=wallet.pk)
        now = timezone.now()
        if wallet.pin_locked_until and wallet.pin_locked_until > now:
            raise PinLockedError(
                _("Too many wrong PINs. Payments are locked until %(time)s, or reset your PIN.")
                % {"time": timezone.localtime(wallet.pin_locked_until).strftime("%H:%M")}
            )
        if not wallet.pin_hash:
            raise PinNotSetError()
        if check_password(str(pin), wallet.pin_hash):
            if wallet.pin_failures:
                wallet.pin_failures = 0
                wallet.pin_locked_until = None
                wallet.save(update_fields=["pin_failures", "pin_locked_until"])
            return
        wallet.pin_failures += 1
        error: ApplicationError
        if wallet.pin_failures >= PIN_MAX_FAILURES:
            wallet.pin_locked_until = now + PIN_LOCK
            wallet.pin_failures = 0
            wallet.save(update_fields=["pin_failures", "pin_locked_until"])
            error = PinLockedError(
                _("Five wrong PINs: payments are locked for 30 minutes, or reset your PIN.")
            )
        else:
            wallet.save(update_fields=["pin_failures"])
            error = PinInvalidError(
                _("Wrong PIN. %(left)s tries left before payments are locked.")
                % {"left": PIN_MAX_FAILURES - wallet.pin_failures}
            )
    raise error
