from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError


class RentalError(ApplicationError):
    code = "rental_invalid"


class ReductionTooSmallError(RentalError):
    code = "reduction_below_minimum"


class PeriodTooShortError(RentalError):
    code = "period_too_short"


class TenantShopNotFoundError(RentalError):
    code = "tenant_shop_not_found"
    default_message = _(
        "No shop with this business registration number has joined in this city. "
        "Ask your tenant to register the shop first."
    )


class PropertyNotFoundError(NotFoundError):
    code = "property_not_found"
    default_message = _("No such property.")


class LeaseNotFoundError(NotFoundError):
    code = "lease_not_found"
    default_message = _("No such lease.")


class AgreementNotFoundError(NotFoundError):
    code = "agreement_not_found"
    default_message = _("No such agreement.")


class RentalPermissionError(ForbiddenError):
    code = "forbidden"
    default_message = _("Your role does not allow this.")


class AgreementStatusError(ConflictError):
    code = "agreement_status"


class TermsChangedError(ConflictError):
    code = "terms_changed"
    default_message = _(
        "The terms changed while you were reading them. Read the current terms and try again."
    )


class LeaseConflictError(ConflictError):
    code = "lease_conflict"
