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


class ConsentRequiredError(ApplicationError):
    code = "consent_required"
    default_message = _(
        "Agree to the terms of use and to the collection of personal information to sign up."
    )


class InvalidSignInCodeError(ApplicationError):
    code = "invalid_code"
    default_message = _(
        "The code is not correct or has expired. Check the last code sent to you or ask for a "
        "new one."
    )
