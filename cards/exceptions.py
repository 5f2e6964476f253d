from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import (
    ApplicationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
)


class CardError(ApplicationError):
    code = "card_error"


class CardNotFoundError(NotFoundError):
    code = "card_not_found"
    default_message = _("No card has this number. Check the 16 digits.")


class CardBlockedError(ForbiddenError):
    code = "card_blocked"
    default_message = _("This card is blocked. Ask for a replacement card.")


class CardPinInvalidError(CardError):
    code = "card_pin_invalid"


class CardPinLockedError(RateLimitedError):
    code = "card_pin_locked"


class NoteError(ApplicationError):
    code = "note_error"


class NoteForgedError(NoteError):
    code = "note_invalid"
    status = 422
    default_message = _("This is not a valid note of the city: the check code does not match.")


class NoteAlreadyRedeemedError(ConflictError):
    code = "note_already_redeemed"


class NoteNotSellableError(NoteError):
    code = "note_not_sellable"


class NoteStockError(NoteError):
    code = "note_stock"


class DeskForbiddenError(ForbiddenError):
    code = "desk_forbidden"
    default_message = _("You do not serve at this desk.")


class DeskError(ApplicationError):
    code = "desk_error"
