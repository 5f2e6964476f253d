"""Sending messages: from a domain event to rows, and from a row to the provider.

1. A domain service, at its end, queues ``message_request(kind=..., object_id=...)`` with
   ``transaction.on_commit``: nothing is sent for work that rolled back, and the request costs
   the caller one broker call (a broker failure is logged, never raised into the money path).
2. ``message_prepare`` (task ``messaging.tasks.message_prepare``, in the city's schema) asks the
   kind's ``build`` for the message, then ``message_send`` writes one ``Message`` row per channel
   (the channels the citizen's consents and choices allow), each under its unique dedupe key,
   and queues their delivery when that transaction commits.
3. ``message_deliver`` (task ``messaging.tasks.message_deliver``) claims a row, calls the
   provider, and records the outcome. A failure that may pass is retried by the task with
   exponential backoff; a refusal or the last try marks the row failed.

Consents (``accounts.selectors``): a service message goes to the citizen's email (unless turned
off) and to one phone channel (KakaoTalk notification talk if the kind has an approved template
and the citizen has not turned it off, else a text message); advertising only on channels with a
current consent, prefixed "(광고)" as the Information and Communications Network Act requires; a
sign-in code only by text message to the number asked for. What is not sent is still recorded
(``suppressed``, with the reason).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.template import Context, Engine
from django.utils import timezone

from accounts.models import User
from accounts.phone import phone_mask
from accounts.selectors import marketing_allowed, service_channel_on

from .kinds import ALIMTALK, AUTH, EMAIL, MARKETING, SMS, MessageKind, Outgoing, kind_get
from .models import Message
from .providers import Outbound, ProviderError, ProviderUncertainError, provider_for

logger = logging.getLogger(__name__)

_ENGINE = Engine(builtins=["jeonju_prepay.templatetags.won"], autoescape=False)

MARKETING_PREFIX = {"ko": "(광고) ", "en": "[Ad] "}
MARKETING_FOOTER = {
    "ko": "\n수신거부: {city} 누리집 > 내 동의 관리",
    "en": "\nTo stop these: {city} site > My consents",
}


# --- 1. From a domain service ----------------------------------------------------------------


def message_request(*, kind: str, object_id: int) -> None:
    """Queue message ``kind`` about object ``object_id`` (call it from ``on_commit``).

    Never raises: a message must not turn a committed payment into an error page. Without a
    broker (``make run`` without Redis, the test suite) the task runs here and now."""
    from .tasks import message_prepare_task

    try:
        message_prepare_task.apply_async(kwargs={"kind": kind, "object_id": object_id})
    except Exception:
        logger.exception("message %s for %s could not be queued", kind, object_id)


def sign_in_code_send(*, code_id: int, code: str, user_id: int) -> None:
    """accounts' sender of sign-in codes (registered in ``MessagingConfig.ready``): a text
    message to the user's number, keyed by the code's id so that it goes once."""
    user = User.objects.get(pk=user_id)
    try:
        message_send(
            kind="messaging.sign_in_code",
            dedupe_key=f"messaging.sign_in_code:{code_id}",
            context={"code": code, "city": _city_name()},
            user=user,
            phone=user.phone,
        )
    except Exception:
        logger.exception("sign-in code %s could not be queued", code_id)


# --- 2. Rows -----------------------------------------------------------------------------------


def message_prepare(*, kind: str, object_id: int) -> list[Message]:
    """Build message ``kind`` about ``object_id`` and write its rows (see ``message_send``).
    Returns the rows written now (none when the kind has nothing to say, or said it before)."""
    message_kind = kind_get(kind)
    if message_kind.build is None:
        return []
    outgoing = message_kind.build(object_id)
    if outgoing is None:
        return []
    return message_outgoing_send(kind=kind, outgoing=outgoing)


def message_outgoing_send(*, kind: str, outgoing: Outgoing) -> list[Message]:
    user = User.objects.get(pk=outgoing.user_id) if outgoing.user_id else None
    return message_send(
        kind=kind,
        dedupe_key=outgoing.dedupe_key,
        context=outgoing.context,
        user=user,
        phone=outgoing.phone,
        email=outgoing.email,
        language=outgoing.language,
        variant=outgoing.variant,
    )


@dataclass(frozen=True)
class Plan:
    channel: str
    to: str
    allowed: bool
    reason: str = ""


def channels_plan(
    *, kind: MessageKind, user: User | None, phone: str = "", email: str = ""
) -> list[Plan]:
    """Where a message of ``kind`` may go, by the citizen's consents and choices."""
    email = email or (user.email if user is not None and user.email else "")
    phone = phone or (user.phone if user is not None else "")
    if kind.category == AUTH:
        return [Plan(SMS, phone, bool(phone), "" if phone else "no mobile number")]
    plans: list[Plan] = []

    def allowed(channel: str) -> tuple[bool, str]:
        if kind.category == MARKETING:
            if user is None:
                return False, "no consent (not signed up)"
            if not marketing_allowed(user=user, channel=channel):
                return False, "no current consent to advertising"
            return True, ""
        if user is not None and not service_channel_on(user=user, channel=channel):
            return False, "channel turned off by the citizen"
        return True, ""

    if EMAIL in kind.channels and email:
        ok, reason = allowed(EMAIL)
        plans.append(Plan(EMAIL, email, ok, reason))
    if phone:
        phone_plans = []
        if ALIMTALK in kind.channels and kind.alimtalk_template_id:
            phone_plans.append((ALIMTALK, *allowed(ALIMTALK)))
        if SMS in kind.channels:
            phone_plans.append((SMS, *allowed(SMS)))
        chosen = next((p for p in phone_plans if p[1]), None)
        if chosen is not None:
            plans.append(Plan(chosen[0], phone, True))
        elif phone_plans:
            channel, _ok, reason = phone_plans[0]
            plans.append(Plan(channel, phone, False, reason))
    return plans


def render(kind: MessageKind, *, variant: str, language: str, context: dict) -> tuple[str, str]:
    text = kind.text(variant=variant, language=language)
    ctx = Context({"city": _city_name(), **context}, autoescape=False)
    subject = _ENGINE.from_string(text.subject).render(ctx).strip() if text.subject else ""
    body = _ENGINE.from_string(text.body).render(ctx).strip()
    if kind.category == MARKETING:
        city = ctx.get("city", "")
        subject = (MARKETING_PREFIX[language] + subject) if subject else subject
        body = MARKETING_PREFIX[language] + body + MARKETING_FOOTER[language].format(city=city)
    return subject, body


def message_send(
    *,
    kind: str,
    dedupe_key: str,
    context: dict,
    user: User | None = None,
    phone: str = "",
    email: str = "",
    language: str | None = None,
    variant: str = "",
) -> list[Message]:
    """Write the rows of one message (one per channel the plan allows, and a ``suppressed`` row
    for a channel it refuses) and queue the delivery of each new ``queued`` row on commit.

    The same ``dedupe_key`` again writes nothing and sends nothing (the unique constraint on
    ``Message.dedupe_key`` decides, also between two workers at the same moment). Returns the
    rows written now."""
    message_kind = kind_get(kind)
    language = language or (user.language if user is not None else "ko")
    if language not in ("ko", "en"):
        language = "ko"
    subject, body = render(message_kind, variant=variant, language=language, context=context)
    created: list[Message] = []
    with transaction.atomic():
        for plan in channels_plan(kind=message_kind, user=user, phone=phone, email=email):
            row = Message(
                kind=kind,
                category=message_kind.category,
                channel=plan.channel,
                user=user,
                to=plan.to,
                language=language,
                subject=subject[:200],
                body=body if plan.allowed else _redacted(message_kind, body),
                alimtalk_template_id=(
                    message_kind.alimtalk_template_id if plan.channel == ALIMTALK else ""
                ),
                sensitive=message_kind.sensitive,
                dedupe_key=f"{dedupe_key}:{plan.channel}"[:200],
                status=Message.Status.QUEUED if plan.allowed else Message.Status.SUPPRESSED,
                last_error=plan.reason,
            )
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                continue  # this message was written before: nothing more to do
            created.append(row)
        queued = [row.pk for row in created if row.status == Message.Status.QUEUED]
        if queued:
            transaction.on_commit(lambda: _deliver_later(queued))
    return created


def _deliver_later(message_ids: list[int]) -> None:
    from .tasks import message_deliver_task

    for message_id in message_ids:
        try:
            message_deliver_task.apply_async(kwargs={"message_id": message_id})
        except Exception:
            # The row stays queued: messages_requeue_stale (daily) sends it again.
            logger.exception("delivery of message %s could not be queued", message_id)


def _redacted(kind: MessageKind, body: str) -> str:
    if not kind.sensitive:
        return body
    return "".join("*" if ch.isdigit() else ch for ch in body)


def _city_name() -> str:
    tenant = getattr(connection, "tenant", None)
    return str(getattr(tenant, "name", "") or "")


# --- 3. Delivery -------------------------------------------------------------------------------


class RetryLater(Exception):
    def __init__(self, countdown: int):
        self.countdown = countdown
        super().__init__(countdown)


def retry_countdown(attempts: int) -> int:
    """Exponential backoff with jitter: base, 2 × base, 4 × base ... up to the cap."""
    base = settings.MESSAGING_RETRY_BASE_SECONDS
    delay = min(settings.MESSAGING_RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    return int(delay + random.uniform(0, base))  # noqa: S311 - jitter, not a secret


def message_deliver(*, message_id: int) -> Message | None:
    """Send one message row through its channel's provider, once.

    Claims the row first (``queued``/``retrying`` → ``sending``, attempts + 1, in one UPDATE that
    commits before the provider is called): a row another worker holds, or that is sent,
    failed, suppressed or uncertain, is left alone and nothing is sent. Run outside a
    transaction (the task does). Raises ``RetryLater`` when a failure may pass and tries are
    left; the row is then ``retrying`` with the error."""
    claimed = Message.objects.filter(
        pk=message_id, status__in=(Message.Status.QUEUED, Message.Status.RETRYING)
    ).update(status=Message.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now())
    if not claimed:
        logger.info("message %s is not waiting to be sent; nothing done", message_id)
        return Message.objects.filter(pk=message_id).first()
    message = Message.objects.get(pk=message_id)
    provider = provider_for(message.channel)
    outbound = Outbound(
        channel=message.channel,
        to=message.to,
        body=message.body,
        subject=message.subject,
        alimtalk_template_id=message.alimtalk_template_id,
        reference=message.dedupe_key,
        kind=message.kind,
    )
    update: dict = {"provider": provider.name, "updated_at": timezone.now()}
    retry: RetryLater | None = None
    try:
        result = provider.send(outbound)
    except ProviderUncertainError as exc:
        update.update(status=Message.Status.UNCERTAIN, last_error=str(exc)[:300])
    except ProviderError as exc:
        update["last_error"] = str(exc)[:300]
        if exc.transient and message.attempts < settings.MESSAGING_MAX_ATTEMPTS:
            update["status"] = Message.Status.RETRYING
            retry = RetryLater(retry_countdown(message.attempts))
        else:
            update["status"] = Message.Status.FAILED
    else:
        update.update(
            status=Message.Status.SENT,
            provider_message_id=result.provider_message_id[:100],
            sent_at=timezone.now(),
            last_error="",
        )
    if message.sensitive and update["status"] != Message.Status.RETRYING:
        update["body"] = _redacted(kind_get(message.kind), message.body)
    Message.objects.filter(pk=message_id).update(**update)
    logger.info(
        "message %s (%s %s to %s): %s after %s tries",
        message_id,
        message.kind,
        message.channel,
        phone_mask(message.to) if message.channel != EMAIL else message.to[:3] + "***",
        update["status"],
        message.attempts,
    )
    if retry is not None:
        raise retry
    return Message.objects.get(pk=message_id)


def messages_requeue_stale(*, older_than_minutes: int = 30) -> int:
    """Queue again the deliveries of rows still ``queued``, or ``retrying`` past the longest
    backoff, long after they should have gone (their task was lost with a broker). The claim
    keeps it to one send even if the lost task turns up after all."""
    now = timezone.now()
    queued_before = now - timedelta(minutes=older_than_minutes)
    retrying_before = queued_before - timedelta(seconds=settings.MESSAGING_RETRY_MAX_SECONDS)
    ids = list(
        Message.objects.filter(
            Q(status=Message.Status.QUEUED, updated_at__lt=queued_before)
            | Q(status=Message.Status.RETRYING, updated_at__lt=retrying_before)
        ).values_list("pk", flat=True)[:1000]
    )
    _deliver_later(ids)
    return len(ids)
