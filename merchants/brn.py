"""The Korean business registration number (사업자등록번호) and its check digit.

Ten digits ``abc-de-fghij``. The check digit j is computed from the first nine with the weights
1 3 7 1 3 7 1 3 5, plus the tens digit of (9th digit × 5); the sum's last digit taken from 10,
modulo 10, must equal the tenth digit.
"""

from __future__ import annotations

WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def normalize(value: str) -> str:
    """Digits only: ``"123-45-67891"`` → ``"1234567891"``. Non-ASCII digits are not digits."""
    return "".join(ch for ch in (value or "") if ch in "0123456789")


def check_digit(first_nine: str) -> int:
    digits = [int(ch) for ch in first_nine]
    total = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True))
    total += digits[8] * 5 // 10
    return (10 - total % 10) % 10


def is_valid(value: str) -> bool:
    raw = (value or "").replace("-", "").replace(" ", "")
    if len(raw) != 10 or not raw.isascii() or not raw.isdigit():
        return False
    return check_digit(raw[:9]) == int(raw[9])


def with_check_digit(first_nine: str) -> str:
    """Complete nine digits into a valid number (for demo data and tests)."""
    return first_nine + str(check_digit(first_nine))
