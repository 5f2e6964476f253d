"""SOLAPI (솔라피), a Korean SMS and KakaoTalk notification-talk gateway, through its published
REST contract (Messages API v4, "단일 메시지", and "API Key 인증 방식"):

- ``POST {base}/messages/v4/send`` with ``{"message": {"to", "from", "text", ...}}``. A text
  message lets SOLAPI pick SMS or LMS by length; a notification talk is ``"type": "ATA"`` with
  ``kakaoOptions`` (``pfId`` of the city's KakaoTalk channel, ``templateId`` approved by Kakao,
  ``disableSms: false`` so that SOLAPI falls back to a text message when KakaoTalk cannot
  deliver). ``customFields.ref`` carries our dedupe key into SOLAPI's records.
- Authorization: ``HMAC-SHA256 apiKey=<key>, date=<ISO 8601>, salt=<12-64 random bytes>,
  signature=<hex HMAC-SHA256 over date + salt, keyed by the API secret>``. The server refuses a
  date more than 15 minutes off (``RequestTimeTooSkewed``) and a signature used twice in 15
  minutes (``DuplicatedSignature``): each request gets a new salt.
- Accepted: HTTP 200 with ``statusCode`` ``"2000"`` and the ``messageId``. Refused: a 4xx with
  ``{"errorCode", "errorMessage"}`` (``ValidationError``, ``InvalidAPIKey``,
  ``SignatureDoesNotMatch`` ... are final; ``RequestTimeTooSkewed``, ``DuplicatedSignature`` and
  ``TooManyRequests``/429 pass with time), or a 5xx (retried).

Timeouts: a connection that cannot be made (refused, connect timeout) never reached SOLAPI and
is retried; a request sent whose answer never came may have been accepted, so the message is
marked uncertain rather than sent again (``ProviderUncertainError``).

Settings: ``SOLAPI_API_KEY``, ``SOLAPI_API_SECRET``, ``SOLAPI_SENDER`` (the registered sending
number), ``SOLAPI_PF_ID`` (KakaoTalk channel), ``SOLAPI_BASE_URL`` (default
``https://api.solapi.com``), ``SOLAPI_TIMEOUT`` (seconds, default 10).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import Outbound, ProviderError, ProviderUncertainError, SendResult

ACCEPTED = "2000"
# Refusals that pass with time: a clock off by more than 15 minutes, a signature seen before
# (a new salt next time), and rate limits.
TRANSIENT_CODES = {"RequestTimeTooSkewed", "DuplicatedSignature", "TooManyRequests"}


def authorization(*, api_key: str, api_secret: str, date: str, salt: str) -> str:
    signature = hmac.new(api_secret.encode(), (date + salt).encode(), hashlib.sha256).hexdigest()
    return f"HMAC-SHA256 apiKey={api_key}, date={date}, salt={salt}, signature={signature}"


class SolapiProvider:
    name = "solapi"

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        sender: str,
        pf_id: str = "",
        base_url: str = "https://api.solapi.com",
        timeout: float = 10.0,
    ):
        if not (api_key and api_secret and sender):
            raise ImproperlyConfigured(
                "SOLAPI_API_KEY, SOLAPI_API_SECRET and SOLAPI_SENDER are required"
            )
        self.api_key = api_key
        self.api_secret = api_secret
        self.sender = sender
        self.pf_id = pf_id
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> SolapiProvider:
        return cls(
            api_key=settings.SOLAPI_API_KEY,
            api_secret=settings.SOLAPI_API_SECRET,
            sender=settings.SOLAPI_SENDER,
            pf_id=settings.SOLAPI_PF_ID,
            base_url=settings.SOLAPI_BASE_URL,
            timeout=settings.SOLAPI_TIMEOUT,
        )

    def payload(self, message: Outbound) -> dict:
        body: dict = {"to": message.to, "from": self.sender, "text": message.body}
        if message.reference:
            body["customFields"] = {"ref": message.reference[:100]}
        if message.channel == "alimtalk":
            if not (self.pf_id and message.alimtalk_template_id):
                raise ProviderError(
                    "AlimtalkNotConfigured",
                    "SOLAPI_PF_ID and the kind's template id are needed",
                    transient=False,
                )
            body["type"] = "ATA"
            body["kakaoOptions"] = {
                "pfId": self.pf_id,
                "templateId": message.alimtalk_template_id,
                "disableSms": False,
            }
        elif message.subject and len(message.body) > 45:
            body["subject"] = message.subject[:20]  # an LMS title: 20 Korean characters
        return {"message": body}

    def send(self, message: Outbound) -> SendResult:
        data = json.dumps(self.payload(message), ensure_ascii=False).encode()
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        salt = secrets.token_hex(16)
        request = urllib.request.Request(  # noqa: S310 - the URL is ours, from settings
            f"{self.base_url}/messages/v4/send",
            data=data,
            method="POST",
            headers={
                "Authorization": authorization(
                    api_key=self.api_key, api_secret=self.api_secret, date=date, salt=salt
                ),
                "Content-Type": "application/json; charset=utf-8",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except urllib.error.URLError as exc:
            # Raised while connecting or sending: SOLAPI never got the request.
            raise ProviderError("ConnectionFailed", str(exc.reason)[:200], transient=True) from exc
        except TimeoutError as exc:
            raise ProviderUncertainError("NoAnswer", "the request was sent, no answer") from exc
        except (ConnectionError, OSError) as exc:
            raise ProviderUncertainError("ConnectionLost", str(exc)[:200]) from exc
        return self._result(status, raw)

    def _result(self, status: int, raw: bytes) -> SendResult:
        try:
            body = json.loads(raw.decode() or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = {}
        if not isinstance(body, dict):
            body = {}
        if status >= 500:
            raise ProviderError(
                str(body.get("errorCode") or f"HTTP{status}"),
                str(body.get("errorMessage") or "")[:200],
                transient=True,
            )
        if status >= 400:
            code = str(body.get("errorCode") or f"HTTP{status}")
            raise ProviderError(
                code,
                str(body.get("errorMessage") or "")[:200],
                transient=status == 429 or code in TRANSIENT_CODES,
            )
        if str(body.get("statusCode")) != ACCEPTED or not body.get("messageId"):
            raise ProviderError(
                str(body.get("statusCode") or "UnexpectedAnswer"),
                str(body.get("statusMessage") or "")[:200],
                transient=False,
            )
        return SendResult(
            provider_message_id=str(body["messageId"]),
            detail=str(body.get("statusMessage") or "")[:200],
        )
