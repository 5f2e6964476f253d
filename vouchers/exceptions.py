from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
)


class WalletError(ApplicationError):
    code = "wallet_error"


class PolicyMissingError(WalletError):
    code = "policy_missing"
    default_message = _("The city has not set the wallet rules yet.")


class ChargeLimitError(WalletError):
    code = "charge_limit_exceeded"


class PinRequiredError(WalletError):
    code = "pin_required"
    default_message = _("Enter your 6-digit payment PIN.")


class PinNotSetError(WalletError):
    code = "pin_not_set"
    default_message = _("Set a payment PIN in your wallet first.")


class PinInvalidError(WalletError):
    code = "pin_invalid"


class PinLockedError(RateLimitedError):
    code = "pin_locked"


class ChargeError(WalletError):
    code = "charge_invalid"


class ChargeNotFoundError(NotFoundError):
    """Another citizen's charge is as unknown as one that does not exist (404, reveals nothing)."""

    code = "charge_not_found"
    default_message = _("No such charge.")


class ChargeNotCancellableError(ConflictError):
    code = "charge_not_cancellable"


class RefundNotAllowedError(WalletError):
    code = "refund_not_allowed"


class CallbackRejectedError(WalletError):
    """A provider callback that is not credited: bad signature, stale, replayed, tampered."""

    code = "callback_rejected"


class PaymentError(WalletError):
    code = "payment_invalid"


class PaymentNotCancellableError(ConflictError):
    code = "payment_not_cancellable"
