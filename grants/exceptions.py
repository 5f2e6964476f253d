from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError


class GrantError(ApplicationError):
    code = "grant_invalid"


class ProgrammeNotFoundError(NotFoundError):
    code = "programme_not_found"
    default_message = _("No such grant programme.")


class ApplicationNotFoundError(NotFoundError):
    code = "application_not_found"
    default_message = _("No such application.")


class ProgrammeNotOpenError(GrantError):
    code = "programme_not_open"
    default_message = _("This programme is not taking applications now.")


class AlreadyAppliedError(ConflictError):
    code = "already_applied"
    default_message = _("You have already applied to this programme.")


class DecisionError(ConflictError):
    code = "decision_invalid"


class BudgetExhaustedError(ConflictError):
    code = "budget_exhausted"
    default_message = _(
        "The programme's budget is fully promised; this application cannot be approved."
    )


class GrantForbiddenError(ForbiddenError):
    code = "grants_forbidden"
    default_message = _("Only city staff in charge of grants can do this.")


class ImportFileError(GrantError):
    code = "import_invalid"


class DocumentError(GrantError):
    code = "document_invalid"
