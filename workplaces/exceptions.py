from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError


class WorkplaceError(ApplicationError):
    code = "workplace_invalid"


class WorkplacePermissionError(ForbiddenError):
    code = "workplace_forbidden"
    default_message = _("You may not do this for this workplace.")


class WorkplaceNotFoundError(NotFoundError):
    code = "workplace_not_found"
    default_message = _("No such workplace.")


class DeclarationStatusError(ConflictError):
    code = "declaration_status"


class TextChangedError(ConflictError):
    code = "text_changed"
    default_message = _("The declaration text has changed since you read it. Read it again.")


class ReportExistsError(ConflictError):
    code = "report_exists"
    default_message = _(
        "A report for this month has been filed already; it stands as filed. "
        "Ask the city to correct it."
    )


class CaseStatusError(ConflictError):
    code = "case_status"
    default_message = _("This case is closed already.")
