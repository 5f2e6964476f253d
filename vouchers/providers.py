"""Payment providers (PG, 결제대행사) that take the citizen's card money for a charge.

The interface follows how Korean gateways work: the server registers the payment with its
amount, the browser goes to the provider's page, and the provider reports the result with a
signed server-to-server callback, which we verify over the raw body before crediting anything.

``SandboxProvider`` behaves like such a gateway, in-process: its own table of payments, its own
checkout page (``/sandbox-pg/``), callbacks signed with HMAC-SHA256 over ``"{timestamp}.{body}"``
and sent with ``X-PG-Timestamp`` and ``X-PG-Signature`` headers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .exceptions import CallbackRejectedError

CALLBACK_MAX_AGE_SECONDS = 300  # 5 minutes, either way


@dataclass(frozen=True)
class CallbackEvent:
    provider: str
    event_id: str
    event_type: str  # payment.approved | payment.failed | payment.cancelled
    order_id: str
    amount: int
    payment_key: str
    occurred_at: datetime


class PaymentProvider:
    name = "abstract"

    def create_payment(self, *, order_id: str, amount: int, return_path: str) -> str:
        """Register the payment; return the provider page the browser goes to."""
        raise NotImplementedError

    def verify_callback(self, *, raw_body: bytes, headers) -> CallbackEvent:
        """The event in a callback, or ``CallbackRejectedError``."""
        raise NotImplementedError

    def cancel_payment(self, *, payment_key: str, amount: int, reason: str) -> None:
        raise NotImplementedError


def _sandbox_secret() -> bytes:
    configured = getattr(settings, "SANDBOX_PG_SECRET", "")
    if configured:
        return configured.encode()
    return salted_hmac("jeonju_prepay.sandbox-pg", "secret").hexdigest().encode()


def sign(body: bytes, timestamp: int, secret: bytes | None = None) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret or _sandbox_secret(), message, hashlib.sha256).hexdigest()


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def create_payment(self, *, order_id: str, amount: int, return_path: str) -> str:
        from .models_sandbox import SandboxPayment

        SandboxPayment.objects.get_or_create(
            order_id=order_id, defaults={"amount": amount, "return_path": return_path}
        )
        return reverse("sandbox_pg:checkout", args=[order_id])

    def verify_callback(self, *, raw_body: bytes, headers) -> CallbackEvent:
        timestamp_header = headers.get("X-PG-Timestamp", "")
        signature = headers.get("X-PG-Signature", "")
        # isascii(): "²" and "１" pass isdigit() but are no timestamp (int() fails on the first).
        if not (timestamp_header.isascii() and timestamp_header.isdigit()) or not signature:
            raise CallbackRejectedError(_("The callback is not signed."), code="callback_unsigned")
        timestamp = int(timestamp_header)
        expected = sign(raw_body, timestamp)
        if not hmac.compare_digest(expected, signature):
            raise CallbackRejectedError(
                _("The callback's signature does not match."), code="callback_bad_signature"
            )
        if abs(time.time() - timestamp) > CALLBACK_MAX_AGE_SECONDS:
            raise CallbackRejectedError(
                _("The callback is too old or from the future."), code="callback_stale"
            )
        try:
            data = json.loads(raw_body)
            return CallbackEvent(
                provider=self.name,
                event_id=str(data["event_id"])[:100],
                event_type=str(data["type"]),
                order_id=str(data["order_id"])[:64],
                amount=int(data["amount"]),
                payment_key=str(data.get("payment_key", ""))[:100],
                occurred_at=datetime.fromtimestamp(int(data["occurred_at"]), tz=UTC),
            )
        except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
            raise CallbackRejectedError(
                _("The callback body is malformed."), code="callback_malformed"
            ) from exc

    def cancel_payment(self, *, payment_key: str, amount: int, reason: str) -> None:
        from .models_sandbox import SandboxPayment

        SandboxPayment.objects.filter(payment_key=payment_key).update(
            status="cancelled", cancel_reason=reason[:200]
        )

    # --- The provider's own side (what a real gateway does on its servers) ---------------------

    @staticmethod
    def build_callback(
        *,
        order_id: str,
        amount: int,
        event_type: str,
        payment_key: str,
        occurred_at: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A signed callback as the sandbox gateway sends it: (raw body, headers)."""
        now = int(time.time())
        body = json.dumps(
            {
                "event_id": "evt_" + secrets.token_hex(12),
                "type": event_type,
                "order_id": order_id,
                "amount": amount,
                "payment_key": payment_key,
                "occurred_at": occurred_at or now,
            },
            separators=(",", ":"),
        ).encode()
        return body, {"X-PG-Timestamp": str(now), "X-PG-Signature": sign(body, now)}


PROVIDERS: dict[str, PaymentProvider] = {"sandbox": SandboxProvider()}


def get_provider(name: str) -> PaymentProvider:
    try:
        return PROVIDERS[name]
    except KeyError as exc:
        raise CallbackRejectedError(
            _("Unknown payment provider."), code="provider_unknown"
        ) from exc


def provider_for_city(schema_name: str | None = None) -> str:
    """The provider a city's charges go through: ``PAYMENT_PROVIDER_BY_CITY`` (e.g.
    ``jeonju=toss``), else ``PAYMENT_PROVIDER`` (``sandbox``, the development default)."""
    from django.db import connection

    schema = schema_name or connection.schema_name
    return settings.PAYMENT_PROVIDER_BY_CITY.get(schema, settings.PAYMENT_PROVIDER_DEFAULT)


# Toss Payments (vouchers/provider_toss.py), for cities that take real card money.
from .provider_toss import TossProvider  # noqa: E402

PROVIDERS["toss"] = TossProvider()
