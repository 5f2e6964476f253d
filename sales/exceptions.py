from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, ConflictError, NotFoundError


class SaleError(ApplicationError):
    code = "sale_invalid"
    default_message = _("This sale cannot be set up that way.")


class SaleNotFoundError(NotFoundError):
    code = "sale_not_found"
    default_message = _("No such sale.")


class SaleClosedError(ConflictError):
    code = "sale_closed"
    default_message = _("This sale is not taking applications now.")


class SaleStateError(ConflictError):
    code = "sale_state"
    default_message = _("The sale is not in a state that allows this.")


class TicketNotFoundError(NotFoundError):
    code = "ticket_not_found"
    default_message = _("No such ticket.")


class TicketError(ApplicationError):
    code = "ticket_invalid"
    default_message = _("This application cannot be taken.")


class NotAdmittedError(ConflictError):
    code = "ticket_not_admitted"
    default_message = _("Your turn to pay has not come, or it has passed.")
