"""The secret parts of payment codes and device tokens: generation, signing, hashing.

A citizen's payment code has two faces of one secret each: a QR token (128 random bits, signed
with the city's schema name so a code from another city fails its check) and a 16-digit number
for typing. Only keyed hashes are stored, so a database leak does not leak usable codes.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core import signing
from django.db import connection
from django.utils.crypto import salted_hmac

QR_SALT = "jeonju_prepay.payment-code.qr"
NUMBER_SALT = "jeonju_prepay.payment-code.number"
DEVICE_TOKEN_PREFIX = "dt_"  # noqa: S105 - a prefix, not a secret


def new_number() -> str:
    return f"{secrets.randbelow(10**16):016d}"


def number_hash(number: str) -> str:
    return salted_hmac(NUMBER_SALT, f"{connection.schema_name}:{number}").hexdigest()


def new_qr_secret() -> str:
    return secrets.token_urlsafe(16)  # 128 bits


def qr_token_sign(secret: str) -> str:
    return signing.Signer(salt=QR_SALT).sign(f"{connection.schema_name}.{secret}")


def qr_token_unsign(token: str) -> str | None:
    """The secret inside a QR token of *this* city, or None (bad signature, other city, junk)."""
    try:
        value = signing.Signer(salt=QR_SALT).unsign(token)
    except signing.BadSignature:
        return None
    schema, _, secret = value.partition(".")
    if schema != connection.schema_name or not secret:
        return None
    return secret


def qr_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def format_number(number: str) -> str:
    """``1234567812345678`` → ``1234 5678 1234 5678`` for reading aloud and typing."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def new_device_token() -> str:
    return DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
