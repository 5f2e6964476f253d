from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, ConflictError, ForbiddenError


class FraudError(ApplicationError):
    code = "fraud_invalid"


class CasePermissionError(ForbiddenError):
    code = "forbidden"
    default_message = _("Only city staff review cash-out cases.")


class CaseStateError(ConflictError):
    code = "case_state"
    default_message = _("This case has been decided already; its decision stands.")


class ThresholdError(FraudError):
    code = "fraud_threshold"
    default_message = _("Thresholds are whole numbers of zero or more.")
