"""The allocation rules with exact figures (pure functions: no database)."""

import hashlib

import pytest

from sales import allocation as a


def test_pro_rata_shares_add_up_to_the_tranche_exactly():
    # 10 units among requests of 10, 5, 5 units: exact shares 5, 2.5, 2.5; the unit left over
    # goes to the earlier of the two equal remainders.
    assert a.pro_rata_shares(10_000, [10_000, 5_000, 5_000]) == [5_000, 3_000, 2_000]
    # 7 units among three equal requests: 2.33 each; the first gets the extra unit.
    assert a.pro_rata_shares(7_000, [3_000, 3_000, 3_000]) == [3_000, 2_000, 2_000]


def test_pro_rata_gives_every_request_in_full_when_supply_suffices():
    assert a.pro_rata_shares(100_000, [10_000, 20_000]) == [10_000, 20_000]


@pytest.mark.parametrize("n", [1, 3, 7, 101, 999])
def test_pro_rata_shares_sum_to_supply_and_stay_within_each_request(n):
    requests = [((i * 37) % 10 + 1) * 1_000 for i in range(n)]
    supply = max(1_000, sum(requests) // 3 // 1_000 * 1_000)
    shares = a.pro_rata_shares(supply, requests)
    assert sum(shares) == min(supply, sum(requests))
    assert all(0 <= s <= r and s % 1_000 == 0 for s, r in zip(shares, requests, strict=True))
    # Same fraction to within one unit of each request.
    for s, r in zip(shares, requests, strict=True):
        assert abs(s - r * supply / sum(requests)) < 1_000


def test_lottery_order_is_the_sha256_of_seed_and_ticket_number_sorted():
    order = a.lottery_order("abc", [1, 2, 3, 4])
    keys = {n: hashlib.sha256(f"abc:{n}".encode()).hexdigest() for n in (1, 2, 3, 4)}
    assert order == sorted((1, 2, 3, 4), key=keys.__getitem__)
    assert a.lottery_order("abc", [4, 3, 2, 1]) == order  # re-run: same winners
    assert a.seed_commitment("abc") == hashlib.sha256(b"abc").hexdigest()


def test_staggered_caps_carry_each_days_leftover_to_the_next():
    # 1,003,000 won over five days: 1,003 units = 201 + 201 + 201 + 200 + 200.
    assert a.staggered_caps(1_003_000) == [201_000, 402_000, 603_000, 803_000, 1_003_000]


def test_stagger_days_follow_the_mask_rule():
    assert a.stagger_day_digits(0) == {1, 6}
    assert a.stagger_day_digits(4) == {5, 0}
    assert a.stagger_day_digits(5) is None


def test_priority_groups_first_then_arrival_order():
    people = [
        a.Applicant(1, 1_000, "general"),
        a.Applicant(2, 1_000, "senior"),
        a.Applicant(3, 1_000, "general"),
        a.Applicant(4, 1_000, "low_income"),
    ]
    assert a.priority_order(people, ["senior", "low_income"]) == [2, 4, 1, 3]


def test_largest_inversion_measures_the_worst_jump_in_the_queue():
    assert a.largest_inversion([1, 2, 3, 4]) == 0
    assert a.largest_inversion([1, 5, 2, 3, 4]) == 3
