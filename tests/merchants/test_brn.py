import pytest
from hypothesis import given
from hypothesis import strategies as st

from merchants import brn


@pytest.mark.parametrize("number", ["220-81-62517", "2208162517", "1208147521", "104-81-53114"])
def test_valid_numbers(number):
    assert brn.is_valid(number), number


@pytest.mark.parametrize(
    "number",
    [
        "2208162518",  # check digit off by one
        "220-81-6251",  # nine digits
        "22081625170",  # eleven digits
        "abcdefghij",
        "",
        "２２０８１６２５１７",  # full-width digits are not ASCII digits
        "1234567890",
    ],
)
def test_invalid_numbers(number):
    assert not brn.is_valid(number)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_completing_nine_digits_always_gives_a_valid_number_and_no_other_digit_does(nine):
    valid = brn.with_check_digit(nine)
    assert brn.is_valid(valid)
    for d in "0123456789":
        if d != valid[-1]:
            assert not brn.is_valid(nine + d)
