"""A local stand-in for SOLAPI's Messages API v4 that keeps its published contract: the
HMAC-SHA256 Authorization header (key, date within 15 minutes, 12-64 byte salt, signature over
date + salt, no signature twice), ``POST /messages/v4/send`` with ``{"message": {...}}``, 200
with ``statusCode`` "2000" and a ``messageId`` when accepted, 4xx ``{"errorCode",
"errorMessage"}`` when refused, 5xx on its own failures. ``script`` plays failures in order:
"500", "429", "invalid" (a 400 ValidationError), "slow" (answers after ``slow_seconds``)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "NCSTESTKEY000001"
API_SECRET = "TESTSECRET0000000000000000000001"
SENDER = "0632812114"
PF_ID = "KA01PF-TEST"
AUTH = re.compile(
    r"^HMAC-SHA256 apiKey=(?P<key>[^,]+), date=(?P<date>[^,]+), salt=(?P<salt>[^,]+), "
    r"signature=(?P<signature>[0-9a-f]+)$"
)


class FakeSolapi:
    def __init__(self, port_range=range(8200, 8300)):
        self.script: list[str] = []
        self.slow_seconds = 2.0
        self.requests: list[dict] = []  # every request that passed authentication
        self.accepted: list[dict] = []  # messages accepted
        self.seen_signatures: set[str] = set()
        self._lock = threading.Lock()
        self.server = self._bind(port_range)
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _bind(self, port_range):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                fake.handle(self)

        for port in port_range:
            try:
                return ThreadingHTTPServer(("127.0.0.1", port), Handler)
            except OSError:
                continue
        raise RuntimeError("no free port in the range")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def _answer(handler, status: int, body: dict):
        raw = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(raw)

    def _error(self, handler, status, code, message=""):
        self._answer(handler, status, {"errorCode": code, "errorMessage": message})

    def handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        if handler.path != "/messages/v4/send":
            return self._error(handler, 404, "NotFound", handler.path)
        match = AUTH.match(handler.headers.get("Authorization", ""))
        if match is None:
            return self._error(handler, 401, "InvalidAuthorizationHeader")
        if match["key"] != API_KEY:
            return self._error(handler, 403, "InvalidAPIKey")
        try:
            date = datetime.strptime(match["date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return self._error(handler, 400, "ValidationError", "date is not ISO 8601")
        if abs(datetime.now(UTC) - date) > timedelta(minutes=15):
            return self._error(handler, 403, "RequestTimeTooSkewed")
        if not 12 <= len(match["salt"].encode()) <= 64:
            return self._error(handler, 400, "ValidationError", "salt must be 12-64 bytes")
        expected = hmac.new(
            API_SECRET.encode(), (match["date"] + match["salt"]).encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, match["signature"]):
            return self._error(handler, 403, "SignatureDoesNotMatch")
        with self._lock:
            if match["signature"] in self.seen_signatures:
                return self._error(handler, 403, "DuplicatedSignature")
            self.seen_signatures.add(match["signature"])
        try:
            message = json.loads(raw)["message"]
        except (ValueError, KeyError, TypeError):
            return self._error(handler, 400, "ValidationError", "message is required")
        with self._lock:
            self.requests.append({"message": message, "headers": dict(handler.headers)})
            action = self.script.pop(0) if self.script else "ok"
        for field in ("to", "from", "text"):
            if not message.get(field):
                return self._error(handler, 400, "ValidationError", f"{field} is required")
        if message["from"] != SENDER:
            return self._error(handler, 400, "ValidationError", "unregistered sending number")
        if message.get("type") == "ATA":
            options = message.get("kakaoOptions") or {}
            if options.get("pfId") != PF_ID or not options.get("templateId"):
                return self._error(handler, 400, "ValidationError", "pfId and templateId")
        if action == "500":
            return self._error(handler, 500, "InternalError", "temporary")
        if action == "429":
            return self._error(handler, 429, "TooManyRequests")
        if action == "invalid":
            return self._error(handler, 400, "ValidationError", "수신번호 형식 오류")
        if action == "slow":
            time.sleep(self.slow_seconds)
        message_id = f"M4V{len(self.accepted) + 1:020d}"
        with self._lock:
            self.accepted.append(message)
        self._answer(
            handler,
            200,
            {
                "groupId": "G4V00000000000000000001",
                "messageId": message_id,
                "accountId": "12925149",
                "statusCode": "2000",
                "statusMessage": "정상 접수(이통사로 접수 예정)",
                "to": message["to"],
                "from": message["from"],
                "type": message.get("type") or "SMS",
                "country": "82",
            },
        )


def closed_port(port_range=range(8200, 8300)) -> int:
    """A port in the range that nothing listens on (connecting is refused)."""
    for port in reversed(port_range):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in the range")
