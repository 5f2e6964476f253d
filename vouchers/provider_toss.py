"""Toss Payments (토스페이먼츠), the payment provider for cities that take real card money.

How money comes in (Toss's published API, v1, https://docs.tosspayments.com/reference):

1. ``create_payment`` sends the browser to our checkout page, which opens Toss's payment window
   (their JavaScript SDK, with the city's client key) for the order and amount.
2. Toss sends the browser back to our success URL with ``paymentKey``, ``orderId`` and
   ``amount``; nothing is paid yet. We compare the amount with the charge and confirm:
   ``POST /v1/payments/confirm`` with the secret key (HTTP Basic, ``secret_key:``) and an
   ``Idempotency-Key``, so a confirm resent after a timeout cannot charge twice.
3. Toss also reports every change of a payment by webhook (``PAYMENT_STATUS_CHANGED``): on
   approval, on cancellation, and when someone refunds a payment from Toss's merchant console.
   Toss signs only its payout and seller webhooks (``tosspayments-webhook-signature``); a
   payment webhook is verified the way Toss advises, by reading the payment back from the API
   with our secret key (``GET /v1/payments/{paymentKey}``). Only what the API says is used.

Whatever Toss's API answered (confirm, read back) is sealed with our own key
(``X-JP-Toss-Seal``: HMAC-SHA256 over ``"{timestamp}.{body}"``) and handed to
``vouchers.services.charge_callback_handle``, the same verification path as the sandbox's
signed callbacks: ``verify_callback`` accepts only a sealed Toss payment object, so nothing a
browser or an outsider sends reaches the ledger without having come from Toss's API.

Plain HTTP with ``requests`` rather than the unofficial ``tosspayments-python-server-sdk``: that
SDK sends no ``Idempotency-Key`` on confirm or cancel (a cancel retried after a timeout could
refund twice), has one timeout for connect and read, covers neither the transaction nor the
settlement API, fails on payment objects missing fields it expects, and its webhook
"verification" only parses JSON. The calls we need are a few lines each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.checks import Error, register
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jeonju_prepay.db import schema_name as db_schema_name
from jeonju_prepay.exceptions import ApplicationError

from .exceptions import CallbackRejectedError
from .providers import (
    CALLBACK_MAX_AGE_SECONDS,
    CallbackEvent,
    PaymentProvider,
    Payout,
    ProviderError,
    ProviderRecord,
)

logger = logging.getLogger(__name__)

SEAL_HEADER = "X-JP-Toss-Seal"
SEAL_TIMESTAMP_HEADER = "X-JP-Toss-Timestamp"
SIGNATURE_HEADER = "tosspayments-webhook-signature"
TRANSMISSION_TIME_HEADER = "tosspayments-webhook-transmission-time"

# Payment statuses (Toss's Payment object) and the event each final one becomes.
FINAL_EVENTS = {
    "DONE": "payment.approved",
    "CANCELED": "payment.cancelled",
    "PARTIAL_CANCELED": "payment.partially_cancelled",
    "ABORTED": "payment.failed",
    "EXPIRED": "payment.failed",
}
# Confirm answers that mean the card was not charged (a final "no").
CONFIRM_REFUSALS = {
    "REJECT_CARD_PAYMENT",
    "REJECT_CARD_COMPANY",
    "INVALID_CARD_EXPIRATION",
    "INVALID_STOPPED_CARD",
    "INVALID_REJECT_CARD",
    "EXCEED_MAX_DAILY_PAYMENT_COUNT",
    "EXCEED_MAX_PAYMENT_AMOUNT",
    "NOT_AVAILABLE_PAYMENT",
    "NOT_FOUND_PAYMENT_SESSION",
    "BELOW_MINIMUM_AMOUNT",
    "INVALID_CARD_NUMBER",
    "INVALID_CARD_LOST_OR_STOLEN",
    "RESTRICTED_TRANSFER_ACCOUNT",
    "PAY_PROCESS_CANCELED",
    "PAY_PROCESS_ABORTED",
}


# --- Errors ------------------------------------------------------------------------------------


class ProviderUnavailableError(ApplicationError):
    """Toss did not answer (a timeout, a refused connection, a 5xx): whether the call took
    effect is not known. Every Toss call here is safe to send again."""

    code = "provider_unavailable"
    status = 503
    default_message = gettext_lazy(
        "The payment provider is not answering. Nothing was lost; try again in a moment."
    )


class ProviderRefusedError(ApplicationError):
    """Toss answered with an error (``{"code", "message"}``)."""

    code = "provider_refused"
    status = 409

    def __init__(self, message=None, *, provider_code: str, http_status: int):
        super().__init__(message, code="provider_refused", provider_code=provider_code)
        self.provider_code = provider_code
        self.http_status = http_status


# --- Configuration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TossConfig:
    secret_key: str
    client_key: str
    api_base: str
    js_url: str
    connect_timeout: float
    read_timeout: float
    webhook_security_key: str
    reconcile_since: datetime  # the reconciliation reads Toss's books from this moment on


def toss_config(schema_name: str | None = None) -> TossConfig:
    """The Toss settings of a city (the current one by default): its own keys when the city has
    a merchant account of its own (``TOSS_CITY_KEYS``), else the installation's."""
    schema = schema_name or db_schema_name()
    keys = settings.TOSS_CITY_KEYS.get(schema, {})
    return TossConfig(
        secret_key=keys.get("secret_key") or settings.TOSS_SECRET_KEY,
        client_key=keys.get("client_key") or settings.TOSS_CLIENT_KEY,
        api_base=settings.TOSS_API_BASE.rstrip("/"),
        js_url=settings.TOSS_JS_URL,
        connect_timeout=settings.TOSS_CONNECT_TIMEOUT,
        read_timeout=settings.TOSS_READ_TIMEOUT,
        webhook_security_key=keys.get("webhook_security_key") or settings.TOSS_WEBHOOK_SECURITY_KEY,
        reconcile_since=datetime.fromisoformat(
            keys.get("reconcile_since") or settings.TOSS_RECONCILE_SINCE
        ).replace(tzinfo=UTC),
    )


@register(deploy=True)
def check_toss_configured(app_configs=None, **kwargs):
    """``check --deploy``: every city that takes payments through Toss has keys."""
    uses_toss = [city for city, name in settings.PAYMENT_PROVIDER_BY_CITY.items() if name == "toss"]
    if settings.PAYMENT_PROVIDER_DEFAULT == "toss":
        uses_toss.append("(default)")
    errors = []
    for city in uses_toss:
        keys = settings.TOSS_CITY_KEYS.get(city, {})
        if not (keys.get("secret_key") or settings.TOSS_SECRET_KEY) or not (
            keys.get("client_key") or settings.TOSS_CLIENT_KEY
        ):
            errors.append(
                Error(
                    f"City {city} takes payments through Toss but has no TOSS_SECRET_KEY / "
                    "TOSS_CLIENT_KEY.",
                    id="vouchers.E001",
                )
            )
    return errors


# --- The HTTP client ------------------------------------------------------------------------------

_session = requests.Session()


class TossClient:
    """Toss's REST API v1. Every call has a connect and a read timeout; POSTs carry an
    ``Idempotency-Key`` (Toss keeps it 15 days: a resend gets the first answer)."""

    def __init__(self, config: TossConfig | None = None):
        self.config = config or toss_config()

    def _request(self, method: str, path: str, *, idempotency_key=None, **kwargs) -> Any:
        token = base64.b64encode(f"{self.config.secret_key}:".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key[:300]
        try:
            response = _session.request(
                method,
                self.config.api_base + path,
                headers=headers,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
                **kwargs,
            )
        except requests.Timeout as exc:
            logger.warning("toss %s %s timed out", method, path.split("?")[0])
            raise ProviderUnavailableError() from exc
        except requests.RequestException as exc:
            logger.warning("toss %s %s failed: %s", method, path.split("?")[0], type(exc).__name__)
            raise ProviderUnavailableError() from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 500:
            logger.warning("toss %s %s answered %s", method, path, response.status_code)
            raise ProviderUnavailableError()
        if response.status_code >= 400:
            body = body if isinstance(body, dict) else {}
            code = str(body.get("code") or "UNKNOWN")[:80]
            message = str(body.get("message") or "")[:300]
            logger.info("toss %s %s refused: %s %s", method, path, response.status_code, code)
            raise ProviderRefusedError(
                _("The payment provider refused: %(message)s") % {"message": message or code},
                provider_code=code,
                http_status=response.status_code,
            )
        return body

    def confirm(self, *, payment_key: str, order_id: str, amount: int) -> dict:
        return self._request(
            "POST",
            "/v1/payments/confirm",
            idempotency_key=f"confirm-{order_id}",
            json={"paymentKey": payment_key, "orderId": order_id, "amount": amount},
        )

    def payment(self, payment_key: str) -> dict:
        return self._request("GET", f"/v1/payments/{quote(payment_key, safe='')}")

    def payment_by_order(self, order_id: str) -> dict:
        return self._request("GET", f"/v1/payments/orders/{quote(order_id, safe='')}")

    def cancel(self, *, payment_key: str, reason: str, amount: int | None, key: str) -> dict:
        body: dict = {"cancelReason": reason[:200] or "cancelled"}
        if amount is not None:
            body["cancelAmount"] = amount
        return self._request(
            "POST",
            f"/v1/payments/{quote(payment_key, safe='')}/cancel",
            idempotency_key=key,
            json=body,
        )

    def transactions(self, *, start: datetime, end: datetime, limit: int = 5000) -> list[dict]:
        """Every approval and cancellation with ``transactionAt`` in [start, end], following
        ``startingAfter`` from page to page."""
        found: list[dict] = []
        after = None
        while True:
            params = {
                "startDate": start.strftime("%Y-%m-%dT%H:%M:%S"),
                "endDate": end.strftime("%Y-%m-%dT%H:%M:%S"),
                "limit": limit,
            }
            if after:
                params["startingAfter"] = after
            page = self._request("GET", "/v1/transactions", params=params) or []
            found += page
            if len(page) < limit:
                return found
            after = page[-1]["transactionKey"]

    def settlements(self, *, start: date, end: date, size: int = 5000) -> list[dict]:
        """The settlement records whose sold date is in [start, end], page by page."""
        found: list[dict] = []
        page_number = 1
        while True:
            params = {
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "dateType": "soldDate",
                "page": page_number,
                "size": size,
            }
            page = self._request("GET", "/v1/settlements", params=params) or []
            found += page
            if len(page) < size:
                return found
            page_number += 1


# --- Sealing what Toss's API said -------------------------------------------------------------------


def _seal_key() -> bytes:
    return salted_hmac("jeonju_prepay.toss-seal", "seal").hexdigest().encode()


def seal(payment: dict) -> tuple[bytes, dict[str, str]]:
    """A payment object read from Toss's API, as a body and headers that ``verify_callback``
    accepts (and nothing else produces)."""
    body = json.dumps(payment, separators=(",", ":"), ensure_ascii=False).encode()
    now = int(time.time())
    mac = hmac.new(_seal_key(), str(now).encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {SEAL_TIMESTAMP_HEADER: str(now), SEAL_HEADER: mac}


def _parse_time(value) -> datetime:
    if not value:
        return datetime.now(tz=UTC)
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event_from_payment(payment: dict) -> CallbackEvent | None:
    """The event a Toss payment object stands for, or None while it is not final (READY,
    IN_PROGRESS, WAITING_FOR_DEPOSIT). Its id is the payment's key, status and last
    transaction: the same state seen twice (confirm answer and webhook) is one event."""
    status = str(payment.get("status", ""))
    event_type = FINAL_EVENTS.get(status)
    if event_type is None:
        return None
    payment_key = str(payment["paymentKey"])[:100]
    cancels = payment.get("cancels") or []
    if status in ("CANCELED", "PARTIAL_CANCELED") and cancels:
        occurred = _parse_time(cancels[-1].get("canceledAt"))
    elif status == "DONE":
        occurred = _parse_time(payment.get("approvedAt"))
    else:
        occurred = _parse_time(payment.get("requestedAt"))
    amount = payment.get("totalAmount")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise CallbackRejectedError(_("The callback body is malformed."), code="callback_malformed")
    transaction = str(payment.get("lastTransactionKey") or "")
    return CallbackEvent(
        provider="toss",
        event_id=f"{payment_key}:{status}:{transaction}"[:100],
        event_type=event_type,
        order_id=str(payment["orderId"])[:64],
        amount=amount,
        payment_key=payment_key,
        occurred_at=occurred,
    )


def webhook_signature_valid(*, raw_body: bytes, headers, security_key: str) -> bool:
    """Toss's webhook signature (payout and seller webhooks): ``v1:<base64>`` values, one of
    which is HMAC-SHA256 over ``"{body}:{transmission time}"`` with the security key."""
    signature = headers.get(SIGNATURE_HEADER, "")
    transmitted = headers.get(TRANSMISSION_TIME_HEADER, "")
    if not signature or not transmitted:
        return False
    expected = hmac.new(
        security_key.encode(), raw_body + b":" + transmitted.encode(), hashlib.sha256
    ).digest()
    for part in signature.split(","):
        part = part.strip()
        if not part.startswith("v1:"):
            continue
        try:
            given = base64.b64decode(part[3:], validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(given, expected):
            return True
    return False


# --- The provider -------------------------------------------------------------------------------


class TossProvider(PaymentProvider):
    name = "toss"

    def create_payment(
        self, *, order_id: str, amount: int, return_path: str, customer_key: str
    ) -> str:
        # Toss creates its payment when the browser opens the payment window; until then there
        # is nothing to register on their side.
        return reverse("vouchers_toss:checkout", args=[order_id])

    def verify_callback(self, *, raw_body: bytes, headers) -> CallbackEvent:
        """The event in a sealed Toss payment object (``seal``), or ``CallbackRejectedError``.
        Webhooks from outside never come here directly: ``vouchers.toss`` reads the payment
        back from Toss and seals that."""
        stamp = headers.get(SEAL_TIMESTAMP_HEADER, "")
        mac = headers.get(SEAL_HEADER, "")
        if not (stamp.isascii() and stamp.isdigit()) or not mac:
            raise CallbackRejectedError(_("The callback is not signed."), code="callback_unsigned")
        expected = hmac.new(
            _seal_key(), stamp.encode() + b"." + raw_body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, mac):
            raise CallbackRejectedError(
                _("The callback's signature does not match."), code="callback_bad_signature"
            )
        if abs(time.time() - int(stamp)) > CALLBACK_MAX_AGE_SECONDS:
            raise CallbackRejectedError(
                _("The callback is too old or from the future."), code="callback_stale"
            )
        try:
            event = event_from_payment(json.loads(raw_body))
        except (ValueError, KeyError, TypeError) as exc:
            raise CallbackRejectedError(
                _("The callback body is malformed."), code="callback_malformed"
            ) from exc
        if event is None:
            raise CallbackRejectedError(
                _("The payment is not finished yet."), code="callback_not_final"
            )
        return event

    def cancel_payment(
        self, *, payment_key: str, amount: int, reason: str, idempotency_key: str
    ) -> None:
        """Refund the whole payment (the outbox's call). Safe to send again: the same
        Idempotency-Key is one refund for Toss, and a payment already cancelled counts as done.
        Anything else raises ``ProviderError`` and the outbox tries again later."""
        try:
            TossClient().cancel(
                payment_key=payment_key, reason=reason, amount=None, key=idempotency_key
            )
        except ProviderRefusedError as exc:
            if exc.provider_code == "ALREADY_CANCELED_PAYMENT":
                return
            raise ProviderError(f"toss refused the cancel: {exc.provider_code}") from exc
        except ProviderUnavailableError as exc:
            raise ProviderError("toss did not answer the cancel") from exc

    def records(self, *, since: datetime | None = None) -> list[ProviderRecord]:
        """Toss's own record of every order, from its transaction list: since the city went
        live with Toss (``TOSS_RECONCILE_SINCE``) or ``since``. An order's approval and its
        cancellation are two transactions."""
        config = toss_config()
        # Toss reads startDate and endDate as Seoul's local time.
        start = timezone.localtime(since or config.reconcile_since)
        try:
            found = TossClient(config).transactions(start=start, end=timezone.localtime())
        except (ProviderUnavailableError, ProviderRefusedError) as exc:
            raise ProviderError("toss transactions could not be read") from exc
        orders: dict[str, dict] = {}
        for tx in found:
            order = orders.setdefault(
                str(tx.get("orderId", "")),
                {"payment_key": str(tx.get("paymentKey", "")), "approved": None, "cancelled": None,
                 "amount": 0, "status": "ready"},
            )  # fmt: skip
            at = _parse_time(tx.get("transactionAt"))
            if tx.get("status") == "DONE" and order["approved"] is None:
                order["approved"], order["amount"] = at, int(tx.get("amount") or 0)
                order["status"] = "approved" if order["cancelled"] is None else "cancelled"
            elif tx.get("status") in ("CANCELED", "PARTIAL_CANCELED"):
                order["cancelled"], order["status"] = at, "cancelled"
        return [
            ProviderRecord(
                order_id=order_id,
                payment_key=o["payment_key"],
                status=o["status"],
                amount=o["amount"],
                approved_at=o["approved"],
                cancelled_at=o["cancelled"],
            )
            for order_id, o in orders.items()
        ]

    def payouts(self, *, upto: date) -> list[Payout]:
        """Toss's settlements paid out up to ``upto``, one payout per payout date: what it paid
        (``payOutAmount``) and the fees it kept."""
        config = toss_config()
        try:
            rows = TossClient(config).settlements(start=config.reconcile_since.date(), end=upto)
        except (ProviderUnavailableError, ProviderRefusedError) as exc:
            raise ProviderError("toss settlements could not be read") from exc
        days: dict[date, list[int]] = {}
        for row in rows:
            paid_on = row.get("paidOutDate")
            if not paid_on:
                continue
            day = date.fromisoformat(str(paid_on)[:10])
            if day > upto:
                continue
            totals = days.setdefault(day, [0, 0])
            totals[0] += int(row.get("payOutAmount") or 0)
            totals[1] += int(row.get("fee") or 0)
        return [
            Payout(f"toss-{day.isoformat()}", day, net, fee)
            for day, (net, fee) in sorted(days.items())
        ]
