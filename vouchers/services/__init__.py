"""Every change to Love Gift Certificate wallets, by subject. Money moves only through
``ledger.services``; other apps call the names below.

- ``wallets``: the wallet row and the payment PIN
- ``policy``: the wallet policy, its overrides, the incentive budget and drawing from it
- ``usage``: the citizen's usage row of a month, under which limits are checked
- ``charges``: charges through a payment provider, and their one reversal
- ``payments``: wallet payments with cashback, and their cancellation by the shop
- ``refunds``: the refund of the remaining balance, and its reversal
- ``outbox``: calls to a provider, made only after the ledger side has committed
- ``provider``: the provider's callbacks, and the nightly reconciliation of its books

Locks, whenever a transaction takes several, in this order: charge rows (ascending id), the
citizen's ``MonthlyUsage`` row, then ledger accounts (ascending id, ``accounts_lock``).
"""

from .charges import (
    CHARGE_PURPOSES,
    CallbackOutcome,
    ChargePurpose,
    ChargeTerms,
    charge_cancel,
    charge_checkout_url,
    charge_create,
    charge_credit,
    charge_for_user,
    charge_incentive_legs,
    charge_purpose_register,
    charge_refunded_at_provider,
    charge_result_url,
    charge_terms_register,
    charges_expire,
    clearing_account_id,
    discrepancy_flag,
)
from .common import (
    CHARGE_CANCEL_DAYS,
    REFUND_THRESHOLD_BP,
    REFUND_THRESHOLD_SMALL_BP,
    SMALL_CHARGE,
    month_of,
    previous_month,
    shard_count,
    shard_of,
)
from .outbox import provider_call_deliver, provider_call_enqueue, provider_calls_deliver_due
from .payments import (
    PaymentTerms,
    payment_cancel,
    payment_dependant_register,
    payment_reverse,
    payment_terms,
    qr_pay,
    run_money_function,
    wallet_pay,
)
from .policy import (
    budget_draw,
    budget_fund,
    budget_rebalance,
    budget_shard_ids,
    policy_override_add,
    policy_override_withdraw,
    policy_set,
)
from .provider import (
    ReconciliationReport,
    charge_callback_handle,
    clearing_owed,
    discrepancy_resolve,
    provider_event_apply,
    provider_reconcile,
    providers_reconcile,
)
from .refunds import RefundCheck, refund_check, refund_reverse, wallet_refund
from .usage import (
    charge_headroom,
    charge_limits_check,
    holding_limit_check,
    usage_cashback_return,
    usage_ensure,
    usage_lock,
)
from .wallets import (
    PIN_LOCK,
    PIN_MAX_FAILURES,
    PIN_PASSWORD_FAILURES,
    pin_set,
    pin_verify,
    wallet_get_or_create,
)

__all__ = [
    "CHARGE_CANCEL_DAYS",
    "CHARGE_PURPOSES",
    "PIN_LOCK",
    "PIN_MAX_FAILURES",
    "PIN_PASSWORD_FAILURES",
    "REFUND_THRESHOLD_BP",
    "REFUND_THRESHOLD_SMALL_BP",
    "SMALL_CHARGE",
    "CallbackOutcome",
    "ChargePurpose",
    "ChargeTerms",
    "PaymentTerms",
    "ReconciliationReport",
    "RefundCheck",
    "budget_draw",
    "budget_fund",
    "budget_rebalance",
    "budget_shard_ids",
    "charge_callback_handle",
    "charge_cancel",
    "charge_checkout_url",
    "charge_create",
    "charge_credit",
    "charge_for_user",
    "charge_headroom",
    "charge_incentive_legs",
    "charge_limits_check",
    "charge_purpose_register",
    "charge_refunded_at_provider",
    "charge_result_url",
    "charge_terms_register",
    "charges_expire",
    "clearing_account_id",
    "clearing_owed",
    "discrepancy_flag",
    "discrepancy_resolve",
    "holding_limit_check",
    "month_of",
    "payment_cancel",
    "payment_dependant_register",
    "payment_reverse",
    "payment_terms",
    "pin_set",
    "pin_verify",
    "policy_override_add",
    "policy_override_withdraw",
    "policy_set",
    "previous_month",
    "provider_call_deliver",
    "provider_call_enqueue",
    "provider_calls_deliver_due",
    "provider_event_apply",
    "provider_reconcile",
    "providers_reconcile",
    "qr_pay",
    "refund_check",
    "refund_reverse",
    "run_money_function",
    "shard_count",
    "shard_of",
    "usage_cashback_return",
    "usage_ensure",
    "usage_lock",
    "wallet_get_or_create",
    "wallet_pay",
    "wallet_refund",
]
