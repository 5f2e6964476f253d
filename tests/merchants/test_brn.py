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


@given(st.integers(101, 999), st.integers(1, 99), st.integers(1, 9999))
def test_completing_nine_digits_always_gives_a_valid_number_and_no_other_digit_does(
    office, kind, serial
):
    nine = f"{office:03d}{kind:02d}{serial:04d}"
    valid = brn.with_check_digit(nine)
    assert brn.is_valid(valid)
    for d in "0123456789":
        if d != valid[-1]:
            assert not brn.is_valid(nine + d)


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("0000000000", "office code 000"),
        ("124-81-0099a8", "a letter among the digits"),
        ("1248100998x", "a letter at the end"),
        ("124 81 00998", "spaces are not hyphens"),
        ("124--81-00998", "two hyphens in a row"),
        ("12-481-00998", "hyphens in the wrong places"),
        ("0998100998", "office code below 101"),
        ("1240000998", "type code 00"),
        ("1248100008", "serial 0000"),
    ],
)
def test_parse_refuses_loose_numbers_with_a_clear_message(number, why):
    from merchants.exceptions import InvalidBusinessNumberError

    with pytest.raises(InvalidBusinessNumberError) as exc:
        brn.parse(number)
    assert exc.value.message, why
    assert not brn.is_valid(number), why


@pytest.mark.parametrize("number", ["220-81-62517", "2208162517", "104-81-53114", " 1208147521 "])
def test_parse_accepts_digits_with_hyphens_in_their_places(number):
    assert brn.parse(number) == number.strip().replace("-", "")


def test_a_shop_registration_with_letters_in_the_number_is_refused(city):
    from merchants.exceptions import ShopError
    from merchants.services import ShopDetails, shop_register
    from tests.accounts.factories import OwnerFactory

    details = ShopDetails(
        name="세탁소",
        business_number="124-81-0099a8",
        category="laundry",
        district="풍남동",
        address="전주시 완산구 1",
        phone="063-000-0000",
        sales_bracket="under_300m",
        bank_name="전북은행",
        bank_account="1013000012345",
        bank_holder="홍길동",
    )
    with pytest.raises(ShopError):
        shop_register(owner=OwnerFactory(), details=details)
