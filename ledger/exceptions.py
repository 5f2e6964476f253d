from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, ConflictError


class LedgerError(ApplicationError):
    code = "ledger_error"


class InvalidAmountError(LedgerError):
    code = "invalid_amount"
    default_message = _("The amount is not valid.")


class UnbalancedEntryError(LedgerError):
    code = "unbalanced_entry"
    default_message = _("The postings of an entry must sum to zero.")


class InsufficientBalanceError(LedgerError):
    code = "insufficient_balance"
    default_message = _("The balance is too small for this amount.")


class IdempotencyConflictError(ConflictError):
    code = "idempotency_conflict"
    default_message = _(
        "This Idempotency-Key was already used for a different request. Use a new key."
    )


class IdempotencyInFlightError(ConflictError):
    code = "idempotency_in_flight"
    default_message = _("A request with this Idempotency-Key is still being processed. Retry.")


class AccountNotFoundError(LedgerError):
    code = "account_not_found"
    status = 404
    default_message = _("The account does not exist.")


class AlreadyReversedError(ConflictError):
    code = "already_reversed"
    default_message = _("This entry has been reversed already.")
