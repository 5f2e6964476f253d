from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, RateLimitedError


class InvalidCredentialsError(ApplicationError):
    code = "invalid_credentials"
    default_message = _("The email address or password is not correct.")


class TooManyAttemptsError(RateLimitedError):
    code = "rate_limited"
    default_message = _("Too many failed attempts. Wait a few minutes and try again.")


class AccountError(ApplicationError):
    code = "account_invalid"
