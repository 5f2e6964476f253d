"""Solidarity's part of the nightly run (registered from ``SolidarityConfig.ready``):

- before settlement, donation-angel shops give their share of the day's sales
  (``merchants.settlement.settlement_before_register``);
- the ``solidarity`` step: held gifts claimed for recipients who signed up, gifts unclaimed for
  30 days returned to their senders, and the day's cashback of citizens who give it every time
  moved to the community fund. Each part idempotent: a repeat run moves nothing.
"""

from __future__ import annotations

from datetime import date

from operations.nightly import Progress, Status, Step, StepResult

from .services import angel_shops_donate, cashback_donations_run, gifts_claim_waiting
from .services.gifts import gifts_return_expired


def settlement_angel_shops(*, business_date: date) -> None:
    angel_shops_donate(business_date=business_date)


def step_solidarity(*, business_date: date, progress: Progress | None) -> StepResult:
    claimed = gifts_claim_waiting()
    returned, returned_won = gifts_return_expired()
    donors, donated = cashback_donations_run(business_date=business_date)
    if progress is not None:
        progress(Step.SOLIDARITY, 1, 1)
    changed = claimed or returned or donors
    return StepResult(
        Status.SUCCEEDED if changed else Status.NOTHING_TO_DO,
        "solidarity_done",
        counts={
            "gifts_claimed": claimed,
            "gifts_returned": returned,
            "cashback_donations": donors,
        },
        sums={"returned": returned_won, "donated": donated},
    )
