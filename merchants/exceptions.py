from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import (
    ApplicationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
)


class ShopError(ApplicationError):
    code = "shop_invalid"


class InvalidBusinessNumberError(ShopError):
    code = "invalid_business_number"
    default_message = _(
        "This is not a valid business registration number. Check the ten digits, e.g. 123-45-67890."
    )


class DuplicateBusinessNumberError(ShopError):
    code = "duplicate_business_number"
    default_message = _("A shop with this business registration number is registered already.")


class ShopIneligibleError(ShopError):
    code = "shop_ineligible"


class ShopStatusError(ConflictError):
    code = "shop_status"


class ShopNotApprovedError(ShopError):
    code = "shop_not_approved"
    default_message = _("This shop is not approved for payments.")


class ShopNotFoundError(NotFoundError):
    code = "shop_not_found"
    default_message = _("No such shop.")


class ShopPermissionError(ForbiddenError):
    code = "forbidden"
    default_message = _("Your role at this shop does not allow this.")


class InvitationError(ApplicationError):
    code = "invitation_invalid"
    default_message = _("This invitation is not valid or has expired.")


class PaymentCodeError(ApplicationError):
    code = "code_invalid"


class PaymentCodeUnknownError(PaymentCodeError):
    code = "code_unknown"
    status = 404
    default_message = _("This code is not known. Ask the customer to show the code again.")


class PaymentCodeExpiredError(PaymentCodeError):
    code = "code_expired"
    status = 410
    default_message = _("This code has expired. Ask the customer to refresh the code.")


class PaymentCodeUsedError(PaymentCodeError):
    code = "code_used"
    status = 409
    default_message = _("This code has been used already. Ask the customer for a new code.")


class CodeLookupLimitedError(RateLimitedError):
    code = "rate_limited"
    default_message = _("Too many wrong codes at this counter. Wait a few minutes.")


class ShopPaymentError(ApplicationError):
    code = "shop_payment_invalid"


class ShopPaymentPayeeError(ShopPaymentError):
    code = "shop_payment_payee"
    default_message = _("No shop that may receive shop-to-shop payments has this code.")


class ShopPaymentLimitError(ShopPaymentError):
    code = "shop_payment_limit"


class ShopPaymentBalanceError(ConflictError):
    code = "shop_payment_balance"
    default_message = _("The shop's unsettled sales are not enough for this payment.")


class ShopSettlementHeldError(ConflictError):
    code = "shop_settlement_held"
    default_message = _(
        "The city is holding this shop's settlement while it reviews the shop's payments; "
        "it cannot pay other shops until then."
    )
