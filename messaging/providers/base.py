"""What every message provider offers: ``send`` one message, and three ways to fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outbound:
    channel: str  # email | sms | alimtalk
    to: str  # an email address or a normalised mobile number (01012345678)
    body: str
    subject: str = ""
    alimtalk_template_id: str = ""
    reference: str = ""  # our dedupe key, for the provider's records where it keeps one
    kind: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    detail: str = ""


class ProviderError(Exception):
    """The provider refused or could not be reached. ``transient``: it may pass (an outage, a
    rate limit, a server error), so the message is tried again later; otherwise the refusal is
    final (a bad number, a wrong key, no balance)."""

    def __init__(self, code: str, message: str = "", *, transient: bool):
        self.code = code
        self.message = message
        self.transient = transient
        super().__init__(f"{code}: {message}" if message else code)


class ProviderUncertainError(ProviderError):
    """The request reached the provider but no answer came back (a read timeout): the message
    may have been sent. It is never retried automatically, which could send it twice."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(code, message, transient=False)


class Provider(Protocol):
    name: str

    def send(self, message: Outbound) -> SendResult: ...
