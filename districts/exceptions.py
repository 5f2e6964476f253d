from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, NotFoundError


class DistrictError(ApplicationError):
    code = "district_invalid"
    status = 400
    default_message = _("That district cannot be saved.")


class DistrictNotFoundError(NotFoundError):
    code = "district_not_found"
    default_message = _("No such district.")
