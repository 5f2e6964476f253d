from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, ConflictError, NotFoundError


class SolidarityError(ApplicationError):
    code = "solidarity_error"


class GiftRecipientError(SolidarityError):
    code = "gift_recipient_invalid"
    default_message = _("Enter the recipient's email address or mobile number.")


class GiftCapError(SolidarityError):
    code = "gift_cap_exceeded"
    status = 422


class GiftBalanceError(SolidarityError):
    code = "insufficient_balance"
    status = 422


class GiftNotFoundError(NotFoundError):
    code = "gift_not_found"
    default_message = _("There is no such gift.")


class GiftNotCancellableError(ConflictError):
    code = "gift_not_cancellable"
    default_message = _("Only a gift still waiting for its recipient can be cancelled.")


class DonationError(SolidarityError):
    code = "donation_invalid"
    status = 422


class RelayError(SolidarityError):
    code = "relay_invalid"


class StatementYearError(SolidarityError):
    code = "statement_year_invalid"
    default_message = _("Choose a year from 2020 to this year.")
