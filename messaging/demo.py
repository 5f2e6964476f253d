"""Demo messages, in the current city's schema. Idempotent (each has its dedupe key).

The receipts of the demo charges and pledges are already in the sandbox outbox (the services
sent them while vouchers.demo and campaigns.demo ran). Here: the city's news, which goes only to
the citizens who agreed to advertising on a channel (citizen@demo.kr by email, citizen2@demo.kr
and the phone-only citizen by text message) and is recorded as not sent for the others."""

from __future__ import annotations

from .services import message_send


def seed(ctx) -> None:
    for email, user in sorted(ctx.users.items()):
        if not (email.startswith("citizen") or email == "phone-only"):
            continue
        message_send(
            kind="messaging.city_news",
            dedupe_key=f"demo:city_news:2026-12:{user.pk}",
            context={
                "title": "12월 착한 선결제 주간"
                if user.language == "ko"
                else "Good prepayment week",
                "text": "단골 가게에 선결제하고 보너스를 받으세요."
                if user.language == "ko"
                else "Prepay your favourite shop and get its bonus.",
            },
            user=user,
        )
    ctx.notes.append("Messages: the sandbox outbox is at /messages/sandbox/ (and in the admin).")
