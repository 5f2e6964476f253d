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
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Q as models_q
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from jeonju_prepay.db import schema_name as db_schema_name

from .exceptions import CallbackRejectedError

CALLBACK_MAX_AGE_SECONDS = 300  # 5 minutes, either way


class ProviderError(Exception):
    """A provider call that did not go through (network, timeout, an error answer): the outbox
    retries it. Not a domain error: nobody is shown it."""


@dataclass(frozen=True)
class ProviderRecord:
    """One order as the provider's own books have it (for the nightly reconciliation)."""

    order_id: str
    payment_key: str
    status: str  # ready | approved | failed | cancelled
    amount: int
    approved_at: datetime | None
    cancelled_at: datetime | None


@dataclass(frozen=True)
class Payout:
    """What the provider paid the city's float account for one day (its settlement file)."""

    payout_id: str
    payout_date: date
    amount: int  # paid out; negative when it gave back more than it took that day
    fee: int = 0  # kept by the provider out of the card money of the payout


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

    def create_payment(
        self, *, order_id: str, amount: int, return_path: str, customer_key: str
    ) -> str:
        """Register the payment for the customer ``customer_key``; return the provider page the
        browser goes to."""
        raise NotImplementedError

    def verify_callback(self, *, raw_body: bytes, headers) -> CallbackEvent:
        """The event in a callback, or ``CallbackRejectedError``."""
        raise NotImplementedError

    def cancel_payment(
        self, *, payment_key: str, amount: int, reason: str, idempotency_key: str
    ) -> None:
        """Give a card payment back. Done once per ``idempotency_key`` however often it is
        sent; raises ``ProviderError`` when it did not go through (the outbox retries)."""
        raise NotImplementedError

    def records(self, *, since: datetime | None = None) -> list[ProviderRecord]:
        """The provider's own record of every order (changed since ``since``)."""
        raise NotImplementedError

    def payouts(self, *, upto: date) -> list[Payout]:
        """The provider's payouts to the city for every day up to ``upto``."""
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

    def create_payment(
        self, *, order_id: str, amount: int, return_path: str, customer_key: str
    ) -> str:
        from .models_sandbox import SandboxPayment

        SandboxPayment.objects.get_or_create(
            order_id=order_id,
            defaults={"amount": amount, "return_path": return_path, "customer_key": customer_key},
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
        except (ValueError, KeyError, TypeError, OverflowError, OSError, RecursionError) as exc:
            raise CallbackRejectedError(
                _("The callback body is malformed."), code="callback_malformed"
            ) from exc

    def cancel_payment(
        self, *, payment_key: str, amount: int, reason: str, idempotency_key: str
    ) -> None:
        """Cancel an approved payment (once: a cancelled one stays as it is). Fails like a
        network error when ``SANDBOX_PG_FAIL_RATE`` says so (the bank test's outages)."""
        from django.utils import timezone

        from .models_sandbox import SandboxPayment

        rate = float(getattr(settings, "SANDBOX_PG_FAIL_RATE", 0) or 0)
        if rate and secrets.randbelow(10_000) < rate * 10_000:
            raise ProviderError("sandbox: the gateway did not answer (injected)")
        payment = SandboxPayment.objects.filter(payment_key=payment_key).first()
        if payment is None or payment.amount != amount:
            raise ProviderError(f"sandbox: no payment {payment_key} of {amount} won")
        SandboxPayment.objects.filter(pk=payment.pk, status="approved").update(
            status="cancelled", cancel_reason=reason[:200], cancelled_at=timezone.now()
        )

    def records(self, *, since: datetime | None = None) -> list[ProviderRecord]:
        from .models_sandbox import SandboxPayment

        rows = SandboxPayment.objects.all()
        if since is not None:
            rows = rows.filter(
                models_q(created_at__gte=since)
                | models_q(approved_at__gte=since)
                | models_q(cancelled_at__gte=since)
            )
        return [
            ProviderRecord(
                order_id=p.order_id,
                payment_key=p.payment_key,
                status=p.status,
                amount=p.amount,
                approved_at=p.approved_at,
                cancelled_at=p.cancelled_at,
            )
            for p in rows.order_by("id")
        ]

    def payouts(self, *, upto: date) -> list[Payout]:
        """The sandbox pays out each finished day (Asia/Seoul): what it approved that day less
        what it gave back that day. A day's payout is fixed the first time it is asked for."""
        from django.db.models import Sum
        from django.utils import timezone

        from .models_sandbox import SandboxPayment, SandboxPayout

        upto = min(upto, timezone.localdate() - timedelta(days=1))
        first = (
            SandboxPayment.objects.filter(approved_at__isnull=False)
            .order_by("approved_at")
            .values_list("approved_at", flat=True)
            .first()
        )
        if first is not None:
            day = max(
                timezone.localtime(first).date(),
                (
                    SandboxPayout.objects.order_by("-payout_date")
                    .values_list("payout_date", flat=True)
                    .first()
                    or date.min
                )
                + timedelta(days=1),
            )
            while day <= upto:
                approved = (
                    SandboxPayment.objects.filter(approved_at__date=day).aggregate(t=Sum("amount"))[
                        "t"
                    ]
                    or 0
                )
                cancelled = (
                    SandboxPayment.objects.filter(
                        cancelled_at__date=day, approved_at__isnull=False
                    ).aggregate(t=Sum("amount"))["t"]
                    or 0
                )
                if approved or cancelled:
                    SandboxPayout.objects.get_or_create(
                        payout_date=day,
                        defaults={
                            "amount": approved - cancelled,
                            "approved": approved,
                            "cancelled": cancelled,
                        },
                    )
                day += timedelta(days=1)
        return [
            Payout(f"sandbox-{p.payout_date.isoformat()}", p.payout_date, p.amount)
            for p in SandboxPayout.objects.filter(payout_date__lte=upto).order_by("payout_date")
        ]

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

    schema = schema_name or db_schema_name()
    return settings.PAYMENT_PROVIDER_BY_CITY.get(schema, settings.PAYMENT_PROVIDER_DEFAULT)


# Toss Payments (vouchers/provider_toss.py), for cities that take real card money.
from .provider_toss import TossProvider  # noqa: E402

PROVIDERS["toss"] = TossProvider()
