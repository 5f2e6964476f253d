"""A local stand-in for Toss Payments' API (v1), over HTTP on a local port, for the provider's
tests. It keeps its own payments and implements the documented contract the adapter relies on:

- HTTP Basic auth with the secret key and an empty password (``secret_key:``); anything else is
  401 ``UNAUTHORIZED_KEY``.
- ``POST /v1/payments/confirm`` {paymentKey, orderId, amount}: a payment session opened by the
  payment window (``checkout``) becomes ``DONE``; unknown or expired session 404
  ``NOT_FOUND_PAYMENT_SESSION``; a card the issuer refuses 403 ``REJECT_CARD_PAYMENT``; a
  payment already confirmed 400 ``ALREADY_PROCESSED_PAYMENT``; an amount or order that differs
  from the session 400 ``INVALID_REQUEST``.
- ``Idempotency-Key`` on POSTs: the same key on the same path gets the first answer again and
  nothing happens twice.
- ``GET /v1/payments/{paymentKey}``, ``GET /v1/payments/orders/{orderId}``: the Payment object,
  or 404 ``NOT_FOUND_PAYMENT``.
- ``POST /v1/payments/{paymentKey}/cancel`` {cancelReason, cancelAmount?}: ``CANCELED`` or
  ``PARTIAL_CANCELED`` with a ``cancels`` entry; 400 ``ALREADY_CANCELED_PAYMENT``,
  ``NOT_CANCELABLE_AMOUNT``, ``NOT_CANCELABLE_PAYMENT``.
- ``GET /v1/transactions`` (startDate, endDate, startingAfter, limit) and
  ``GET /v1/settlements`` (startDate, endDate, dateType, page, size): the records of a period
  (the settlement file), with fees.
- Webhooks ``PAYMENT_STATUS_CHANGED`` ({eventType, createdAt, data: Payment}) to the registered
  URL on every status change, sent again when the answer is not 200 (Toss retries for days;
  here after ``retry_delays``), optionally duplicated, optionally signed as Toss signs payout
  webhooks (``tosspayments-webhook-signature: v1:<base64>``, with the transmission time).

Test controls, as Toss's side of things: ``checkout`` (the citizen pays in the payment window),
``console_cancel`` (someone refunds from Toss's merchant console), and faults: ``stall`` (answer
after a delay, so the client times out; the work is done all the same), ``fail_next`` (a 5xx).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import requests

from tests.helpers import free_port

SEOUL = ZoneInfo("Asia/Seoul")
FEE_BP = 250  # 2.5% card fee, VAT 10% of it, in the settlement records


def _now() -> datetime:
    return datetime.now(tz=SEOUL).replace(microsecond=0)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass
class FakePayment:
    payment_key: str
    order_id: str
    amount: int
    status: str = "IN_PROGRESS"
    requested_at: datetime = field(default_factory=_now)
    approved_at: datetime | None = None
    balance: int = 0
    reject: bool = False
    transactions: list[dict] = field(default_factory=list)
    cancels: list[dict] = field(default_factory=list)

    def as_json(self, mid: str) -> dict:
        return {
            "mId": mid,
            "version": "2022-11-16",
            "paymentKey": self.payment_key,
            "orderId": self.order_id,
            "orderName": "충전",
            "status": self.status,
            "type": "NORMAL",
            "method": "카드" if self.status != "IN_PROGRESS" else None,
            "currency": "KRW",
            "totalAmount": self.amount,
            "balanceAmount": self.balance,
            "suppliedAmount": self.amount - self.amount // 11,
            "vat": self.amount // 11,
            "taxFreeAmount": 0,
            "requestedAt": _iso(self.requested_at),
            "approvedAt": _iso(self.approved_at),
            "lastTransactionKey": self.transactions[-1]["transactionKey"]
            if self.transactions
            else None,
            "cancels": self.cancels or None,
            "isPartialCancelable": True,
            "failure": None,
        }


class FakeToss:
    def __init__(self, *, secret_key: str, security_key: str = ""):
        self.secret_key = secret_key
        self.security_key = security_key
        self.mid = "tjeonjupp"
        self.payments: dict[str, FakePayment] = {}
        self.idempotent: dict[tuple[str, str, str], tuple[int, dict]] = {}
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self.webhook_url: str | None = None
        self.webhook_headers: dict[str, str] = {}
        self.webhook_copies = 1
        self.retry_delays = [0.2, 0.5, 1.0]
        self.deliveries: list[tuple[str, int]] = []  # (payment status, HTTP status)
        self._stall: dict[str, float] = {}
        self._fail: dict[str, int] = {}
        self._threads: list[threading.Thread] = []
        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeToss:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.wait_for_webhooks()
        self.server.shutdown()
        self.server.server_close()

    # --- Toss's side of things --------------------------------------------------------------

    def checkout(self, order_id: str, amount: int, *, reject: bool = False) -> str:
        """The citizen pays in the payment window: a payment session to confirm."""
        with self.lock:
            key = "tgen_" + secrets.token_hex(10)
            self.payments[key] = FakePayment(key, order_id, amount, reject=reject)
            return key

    def console_cancel(self, payment_key: str, *, reason: str = "고객 요청", amount=None) -> dict:
        """A refund made from Toss's merchant console (not through our API)."""
        status, body = self._cancel(payment_key, {"cancelReason": reason, "cancelAmount": amount})
        assert status == 200, body
        return body

    def stall(self, path_prefix: str, seconds: float) -> None:
        """The next request to ``path_prefix`` is done, but answered ``seconds`` late."""
        self._stall[path_prefix] = seconds

    def fail_next(self, path_prefix: str, status: int = 500) -> None:
        """The next request to ``path_prefix`` fails with ``status`` before doing anything."""
        self._fail[path_prefix] = status

    def payment(self, payment_key: str) -> FakePayment:
        return self.payments[payment_key]

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(prefix))

    # --- Webhooks -------------------------------------------------------------------------------

    def webhook_body(self, payment_key: str) -> tuple[bytes, dict[str, str]]:
        with self.lock:
            payment = self.payments[payment_key].as_json(self.mid)
        body = json.dumps(
            {
                "eventType": "PAYMENT_STATUS_CHANGED",
                "createdAt": datetime.now(tz=SEOUL).strftime("%Y-%m-%dT%H:%M:%S.%f"),
                "data": payment,
            },
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self.security_key:
            headers.update(self.sign(body))
        return body, headers

    def sign(self, body: bytes) -> dict[str, str]:
        transmitted = datetime.now(tz=SEOUL).isoformat(timespec="seconds")
        mac = hmac.new(
            self.security_key.encode(), body + b":" + transmitted.encode(), hashlib.sha256
        ).digest()
        other = base64.b64encode(secrets.token_bytes(32)).decode()  # a rotated-out key's
        return {
            "tosspayments-webhook-signature": f"v1:{other},v1:{base64.b64encode(mac).decode()}",
            "tosspayments-webhook-transmission-time": transmitted,
        }

    def _notify(self, payment_key: str) -> None:
        if not self.webhook_url:
            return
        body, headers = self.webhook_body(payment_key)
        status = self.payments[payment_key].status

        def deliver():
            for _copy in range(self.webhook_copies):
                for delay in [0.0, *self.retry_delays]:
                    time.sleep(delay)
                    try:
                        answer = requests.post(
                            self.webhook_url,
                            data=body,
                            headers={**headers, **self.webhook_headers},
                            timeout=10,
                        )
                        code = answer.status_code
                    except requests.RequestException:
                        code = 0
                    with self.lock:
                        self.deliveries.append((status, code))
                    if code == 200:
                        break

        thread = threading.Thread(target=deliver, daemon=True)
        self._threads.append(thread)
        thread.start()

    def wait_for_webhooks(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # --- The API ----------------------------------------------------------------------------------

    def _error(self, status: int, code: str, message: str) -> tuple[int, dict]:
        return status, {"code": code, "message": message}

    def _transaction(self, payment: FakePayment, status: str, amount: int) -> dict:
        tx = {
            "mId": self.mid,
            "transactionKey": "txrd_" + secrets.token_hex(8),
            "paymentKey": payment.payment_key,
            "orderId": payment.order_id,
            "currency": "KRW",
            "method": "카드",
            "customerKey": None,
            "useEscrow": False,
            "amount": amount,
            "status": status,
            "transactionAt": _iso(_now()),
        }
        payment.transactions.append(tx)
        return tx

    def _confirm(self, body: dict) -> tuple[int, dict]:
        payment = self.payments.get(str(body.get("paymentKey")))
        if payment is None:
            return self._error(
                404,
                "NOT_FOUND_PAYMENT_SESSION",
                "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
            )
        if payment.status != "IN_PROGRESS":
            return self._error(400, "ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.")
        if body.get("orderId") != payment.order_id or body.get("amount") != payment.amount:
            return self._error(400, "INVALID_REQUEST", "잘못된 요청입니다.")
        if payment.reject:
            payment.status = "ABORTED"
            return self._error(
                403, "REJECT_CARD_PAYMENT", "한도초과 혹은 잔액부족으로 결제에 실패했습니다."
            )
        payment.status = "DONE"
        payment.approved_at = _now()
        payment.balance = payment.amount
        self._transaction(payment, "DONE", payment.amount)
        self._notify(payment.payment_key)
        return 200, payment.as_json(self.mid)

    def _cancel(self, payment_key: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            payment = self.payments.get(payment_key)
            if payment is None:
                return self._error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
            if payment.status == "CANCELED":
                return self._error(400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.")
            if payment.status not in ("DONE", "PARTIAL_CANCELED"):
                return self._error(400, "NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.")
            amount = body.get("cancelAmount")
            amount = payment.balance if amount is None else amount
            if not isinstance(amount, int) or not 0 < amount <= payment.balance:
                return self._error(400, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.")
            payment.balance -= amount
            payment.status = "CANCELED" if payment.balance == 0 else "PARTIAL_CANCELED"
            tx = self._transaction(payment, payment.status, -amount)
            payment.cancels.append(
                {
                    "transactionKey": tx["transactionKey"],
                    "cancelReason": str(body.get("cancelReason", "")),
                    "cancelAmount": amount,
                    "canceledAt": tx["transactionAt"],
                    "cancelStatus": "DONE",
                    "refundableAmount": payment.balance,
                    "taxFreeAmount": 0,
                }
            )
            self._notify(payment.payment_key)
            return 200, payment.as_json(self.mid)

    def _transactions(self, query: dict) -> tuple[int, list]:
        start = datetime.fromisoformat(query["startDate"][0]).replace(tzinfo=SEOUL)
        end = datetime.fromisoformat(query["endDate"][0]).replace(tzinfo=SEOUL)
        limit = int(query.get("limit", ["100"])[0])
        after = query.get("startingAfter", [None])[0]
        found = sorted(
            (tx for p in self.payments.values() for tx in p.transactions),
            key=lambda tx: (tx["transactionAt"], tx["transactionKey"]),
        )
        found = [tx for tx in found if start <= datetime.fromisoformat(tx["transactionAt"]) <= end]
        if after:
            keys = [tx["transactionKey"] for tx in found]
            if after not in keys:
                return 400, {
                    "code": "INVALID_TRANSACTION_KEY",
                    "message": "잘못된 페이징 키 입니다.",
                }
            found = found[keys.index(after) + 1 :]
        return 200, found[:limit]

    def _settlements(self, query: dict) -> tuple[int, list]:
        start = datetime.fromisoformat(query["startDate"][0]).date()
        end = datetime.fromisoformat(query["endDate"][0]).date()
        page, size = int(query.get("page", ["1"])[0]), int(query.get("size", ["100"])[0])
        records = []
        for payment in self.payments.values():
            for tx in payment.transactions:
                sold = datetime.fromisoformat(tx["transactionAt"]).date()
                if not start <= sold <= end:
                    continue
                fee = tx["amount"] * FEE_BP // 10_000
                vat = fee // 10
                records.append(
                    {
                        "mId": self.mid,
                        "paymentKey": payment.payment_key,
                        "transactionKey": tx["transactionKey"],
                        "orderId": payment.order_id,
                        "currency": "KRW",
                        "method": "카드",
                        "amount": tx["amount"],
                        "interestFee": 0,
                        "fees": [{"type": "BASE", "fee": str(fee)}],
                        "supplyAmount": fee - vat,
                        "vat": vat,
                        "payOutAmount": tx["amount"] - fee,
                        "approvedAt": tx["transactionAt"],
                        "soldDate": sold.isoformat(),
                        "paidOutDate": (sold + timedelta(days=2)).isoformat(),
                    }
                )
        records.sort(key=lambda r: r["transactionKey"])
        return 200, records[(page - 1) * size : page * size]

    def handle(self, method: str, raw_path: str, headers, body: bytes) -> tuple[int, object, float]:
        path, query = urlsplit(raw_path).path, parse_qs(urlsplit(raw_path).query)
        with self.lock:
            self.requests.append((method, path))
            stall = next((s for p, s in self._stall.items() if path.startswith(p)), 0.0)
            for prefix in [p for p in self._stall if path.startswith(p)]:
                del self._stall[prefix]
            failing = next((p for p in self._fail if path.startswith(p)), None)
            if failing is not None:
                return (
                    self._fail.pop(failing),
                    {
                        "code": "FAILED_INTERNAL_SYSTEM_PROCESSING",
                        "message": "내부 시스템 처리 작업이 실패했습니다.",
                    },
                    0.0,
                )
        expected = "Basic " + base64.b64encode(f"{self.secret_key}:".encode()).decode()
        if headers.get("Authorization") != expected:
            return (
                401,
                {
                    "code": "UNAUTHORIZED_KEY",
                    "message": "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.",
                },
                0.0,
            )
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return 400, {"code": "INVALID_REQUEST", "message": "잘못된 요청입니다."}, 0.0
        key = headers.get("Idempotency-Key")
        with self.lock:
            if method == "POST" and key and (method, path, key) in self.idempotent:
                status, answer = self.idempotent[(method, path, key)]
                return status, answer, stall
            status, answer = self._route(method, path, query, data)
            if method == "POST" and key:
                self.idempotent[(method, path, key)] = (status, answer)
        return status, answer, stall

    def _route(self, method, path, query, data) -> tuple[int, object]:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if method == "POST" and parts == ["v1", "payments", "confirm"]:
            return self._confirm(data)
        if (
            method == "POST"
            and len(parts) == 4
            and parts[:2] == ["v1", "payments"]
            and parts[3] == "cancel"
        ):
            return self._cancel(parts[2], data)
        if method == "GET" and len(parts) == 4 and parts[:3] == ["v1", "payments", "orders"]:
            found = [p for p in self.payments.values() if p.order_id == parts[3]]
            if not found:
                return self._error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
            return 200, found[-1].as_json(self.mid)
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "payments"]:
            payment = self.payments.get(parts[2])
            if payment is None:
                return self._error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
            return 200, payment.as_json(self.mid)
        if method == "GET" and parts == ["v1", "transactions"]:
            return self._transactions(query)
        if method == "GET" and parts == ["v1", "settlements"]:
            return self._settlements(query)
        return self._error(404, "NOT_FOUND", "존재하지 않는 정보 입니다.")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer, stall = fake.handle(method, self.path, self.headers, body)
                if stall:
                    time.sleep(stall)
                payload = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def log_message(self, *args):
                pass

        return Handler
