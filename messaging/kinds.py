"""The registry of message kinds. A domain app registers its kinds in its own
``message_kinds.py`` (found by ``MessagingConfig.ready``), so this app never imports it.

A kind says what a message is about (``category``: a service message, advertising, or a
sign-in code), on which channels it may go, its Korean and English texts, and how to turn the id
of a domain object into one message (``build``). Texts are Django templates rendered with the
context ``build`` returns; ``won`` and the other project filters are available.

Example (``vouchers/message_kinds.py``)::

    kind_register(MessageKind(
        code="vouchers.refund_done",
        category=SERVICE,
        templates=texts(
            ko=Text("[{{ city }}] 환불 {{ principal|won }} 완료"),
            en=Text("[{{ city }}] Refund of {{ principal|won }} done"),
        ),
        build=refund_message,
        alimtalk_template_id="JP_REFUND_DONE",
    ))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .exceptions import UnknownMessageKindError

SERVICE = "service"  # receipts, results, notices: always allowed on the citizen's channels
MARKETING = "marketing"  # advertising: only with a current consent for the channel
AUTH = "auth"  # sign-in codes: text message to the number asked for, nothing else

EMAIL, SMS, ALIMTALK = "email", "sms", "alimtalk"


@dataclass(frozen=True)
class Text:
    body: str
    subject: str = ""  # the email's subject (and the title of a long text message)


def texts(*, ko: Text, en: Text, variant: str = "") -> dict[str, dict[str, Text]]:
    return {variant: {"ko": ko, "en": en}}


@dataclass(frozen=True)
class Outgoing:
    """One message to send, as a kind's ``build`` describes it. ``dedupe_key`` names it for
    good: the same key is never sent twice (per channel), whatever retries or repeats happen."""

    dedupe_key: str
    context: dict[str, Any]
    user_id: int | None = None
    phone: str = ""  # for someone not signed up (or a number asked for, for sign-in codes)
    email: str = ""
    language: str | None = None  # default: the user's, else Korean
    variant: str = ""  # which of the kind's texts (e.g. "paid" or "failed")


@dataclass(frozen=True)
class MessageKind:
    code: str
    category: str
    templates: dict[str, dict[str, Text]]  # variant → language → text
    build: Callable[[int], Outgoing | None] | None = None
    channels: tuple[str, ...] = (EMAIL, ALIMTALK, SMS)
    alimtalk_template_id: str = ""  # the template approved by Kakao for this message
    # For reminders: the ids of the objects to send about on a day (run daily, see tasks.py).
    daily: Callable[[date], Iterable[int]] | None = None
    # Sign-in codes: the body is kept only until delivery, then replaced by a masked one.
    sensitive: bool = False

    def text(self, *, variant: str, language: str) -> Text:
        by_language = self.templates.get(variant) or self.templates[""]
        return by_language.get(language) or by_language["ko"]


_KINDS: dict[str, MessageKind] = {}


def kind_register(kind: MessageKind) -> MessageKind:
    """Register (or replace, for module reloads) a kind of message."""
    for variant in kind.templates.values():
        if "ko" not in variant or "en" not in variant:
            raise ValueError(f"{kind.code}: every text needs Korean and English")
    _KINDS[kind.code] = kind
    return kind


def kind_get(code: str) -> MessageKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise UnknownMessageKindError() from None


def kinds_all() -> list[MessageKind]:
    return sorted(_KINDS.values(), key=lambda k: k.code)
