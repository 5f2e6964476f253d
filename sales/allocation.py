"""The allocation rules of a charge-day sale, as pure functions anyone can re-run.

Amounts are whole won and every share is a multiple of ``UNIT`` (1,000 won: the wallet charges
in steps of 1,000 won).

- ``lottery_order(seed, tickets)``: the draw. Each ticket's key is
  ``sha256(f"{seed}:{ticket_number}")``; applicants are served in ascending key order. The seed's
  SHA-256 (the commitment) is published when the sale opens and the seed itself at the draw, so
  nobody (staff included) can choose the seed after seeing who applied, and anyone with the list
  of ticket numbers can recompute the order. Worked example: seed ``"abc"``, tickets 1, 2, 3 →
  keys ``sha256("abc:1")`` … sorted.
- ``pro_rata_shares(supply, requests)``: every applicant gets the same fraction of what they
  asked, in units, by the largest-remainder method (ties to the earlier ticket), so the shares add
  up to the supply exactly: 10,000 won for requests of 10,000 / 5,000 / 5,000 →
  5,000 / 3,000 / 2,000 (exact shares 5 / 2.5 / 2.5 units; the one unit left goes to the earlier
  of the two halves).
- ``staggered_caps(amount, days)``: the cumulative cap of each day; each day has an equal share
  and what a day leaves unsold is carried to the next (day k's cap is the sum of days 0..k).
- ``stagger_day_digits(day)``: the last digits of the birth year served on day ``day`` (0: 1 and
  6, 1: 2 and 7, … 4: 5 and 0, as for masks in March 2020); from day 5 on everyone.
- ``priority_order(tickets, groups)``: the priority groups first, then everyone else, each in
  arrival order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

UNIT = 1_000
STAGGER_DAYS = 5


@dataclass(frozen=True)
class Applicant:
    number: int  # the ticket number: the arrival order
    request: int  # won, a multiple of UNIT, already within the per-person limit
    group: str = ""


def lottery_key(seed: str, number: int) -> str:
    return hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()


def seed_commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def lottery_order(seed: str, numbers: Sequence[int]) -> list[int]:
    """The ticket numbers in the order the draw serves them."""
    return sorted(numbers, key=lambda n: (lottery_key(seed, n), n))


def pro_rata_shares(supply: int, requests: Sequence[int]) -> list[int]:
    """Each request's share of ``supply`` (won, multiples of UNIT) when demand may exceed it.
    Requests are multiples of UNIT; so is supply. Shares sum to ``min(supply, demand)``."""
    if supply % UNIT or any(r % UNIT or r < 0 for r in requests):
        raise ValueError("pro-rata works in whole units of 1,000 won")
    demand = sum(requests)
    if demand <= supply:
        return list(requests)
    units, wants = supply // UNIT, [r // UNIT for r in requests]
    total = sum(wants)
    base = [w * units // total for w in wants]
    left = units - sum(base)
    # Largest remainder first; ties to the earlier request.
    by_remainder = sorted(range(len(wants)), key=lambda i: (-(wants[i] * units % total), i))
    for i in by_remainder[:left]:
        base[i] += 1
    return [b * UNIT for b in base]


def staggered_caps(amount: int, days: int = STAGGER_DAYS) -> list[int]:
    """The cumulative amount that may be sold by the end of each day (equal shares, in units;
    the first days take the units that do not divide evenly)."""
    units = amount // UNIT
    shares = [units // days + (1 if d < units % days else 0) for d in range(days)]
    caps, running = [], 0
    for share in shares:
        running += share
        caps.append(running * UNIT)
    caps[-1] = amount  # any won below a unit belongs to the last day
    return caps


def stagger_day_digits(day: int) -> set[int] | None:
    """Birth-year last digits served on ``day`` (counted from the opening day), or None (all)."""
    if day < 0:
        return set()
    if day >= STAGGER_DAYS:
        return None
    return {day + 1, (day + 6) % 10}


def priority_order(applicants: Sequence[Applicant], groups: Sequence[str]) -> list[int]:
    """Ticket numbers: applicants of a priority group first, then the others, by arrival."""
    return [
        a.number
        for a in sorted(applicants, key=lambda a: (0 if a.group in groups else 1, a.number))
    ]


def largest_inversion(admitted: Sequence[int]) -> int:
    """For ticket numbers in the order they were admitted: the largest number of places by
    which someone was served before an earlier arrival (0 when arrival order was kept)."""
    worst, highest = 0, None
    for n in admitted:
        if highest is not None and n < highest:
            worst = max(worst, highest - n)
        highest = n if highest is None else max(highest, n)
    return worst
