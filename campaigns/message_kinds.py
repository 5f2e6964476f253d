"""The campaigns' messages to citizens (registered with ``messaging``; Korean and English).

- ``campaigns.pledge_receipt``: a pledge became active (``pledge_with_wallet``,
  ``pledge_charge_approved``: one ``transaction.on_commit(message_request(...))`` line each).
- ``campaigns.prepaid_expiring``: a prepaid balance ends within 7 days; found every day by
  ``messaging.tasks.reminders_run_city`` through ``expiring_pledge_ids``, told once per pledge.
"""

from __future__ import annotations

from datetime import date, timedelta

from messaging.kinds import SERVICE, MessageKind, Outgoing, Text, kind_register

from .models import Pledge

EXPIRY_NOTICE_DAYS = 7


def pledge_receipt(pledge_id: int) -> Outgoing | None:
    pledge = Pledge.objects.select_related("shop", "campaign").filter(pk=pledge_id).first()
    if pledge is None or pledge.status != Pledge.Status.ACTIVE:
        return None
    return Outgoing(
        dedupe_key=f"campaigns.pledge_receipt:{pledge.pk}",
        user_id=pledge.user_id,
        context={
            "shop": pledge.shop.name,
            "campaign": pledge.campaign.name,
            "amount": pledge.amount,
            "bonus": pledge.bonus,
            "value": pledge.value,
            "valid_until": pledge.valid_until.isoformat(),
        },
    )


def prepaid_expiring(pledge_id: int) -> Outgoing | None:
    pledge = Pledge.objects.select_related("shop").filter(pk=pledge_id).first()
    if pledge is None or pledge.status != Pledge.Status.ACTIVE or pledge.remaining <= 0:
        return None
    return Outgoing(
        dedupe_key=f"campaigns.prepaid_expiring:{pledge.pk}",
        user_id=pledge.user_id,
        context={
            "shop": pledge.shop.name,
            "remaining": pledge.remaining,
            "valid_until": pledge.valid_until.isoformat(),
        },
    )


def expiring_pledge_ids(day: date) -> list[int]:
    """Active pledges with a balance left whose validity ends within 7 days of ``day``."""
    return list(
        Pledge.objects.filter(
            status=Pledge.Status.ACTIVE,
            remaining__gt=0,
            valid_until__gte=day,
            valid_until__lte=day + timedelta(days=EXPIRY_NOTICE_DAYS),
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


kind_register(
    MessageKind(
        code="campaigns.pledge_receipt",
        category=SERVICE,
        build=pledge_receipt,
        alimtalk_template_id="JP_PLEDGE_RECEIPT",
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] {{ shop }}에 {{ amount|won }} 착한 선결제를 하셨습니다."
                    "{% if bonus %} 가게 보너스 {{ bonus|won }}을 더해{% endif %} 사용 가능 금액은 "
                    "{{ value|won }}이며 {{ valid_until }}까지 쓰실 수 있습니다.",
                    subject="[{{ city }}] 선결제 영수증: {{ shop }} {{ amount|won }}",
                ),
                "en": Text(
                    "[{{ city }}] You prepaid {{ amount|won }} to {{ shop }}."
                    "{% if bonus %} With the shop's bonus of {{ bonus|won }},{% endif %} you can "
                    "spend {{ value|won }} there until {{ valid_until }}.",
                    subject="[{{ city }}] Prepayment receipt: {{ shop }} {{ amount|won }}",
                ),
            }
        },
    )
)

kind_register(
    MessageKind(
        code="campaigns.prepaid_expiring",
        category=SERVICE,
        build=prepaid_expiring,
        daily=expiring_pledge_ids,
        alimtalk_template_id="JP_PREPAID_EXPIRING",
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] {{ shop }}의 선결제 잔액 {{ remaining|won }}이 {{ valid_until }}에 "
                    "만료됩니다. 그 전에 가게에서 사용하세요.",
                    subject="[{{ city }}] 선결제 잔액 만료 예정: {{ shop }}",
                ),
                "en": Text(
                    "[{{ city }}] Your prepaid balance of {{ remaining|won }} at {{ shop }} ends "
                    "on {{ valid_until }}. Spend it at the shop before then.",
                    subject="[{{ city }}] Prepaid balance ending soon: {{ shop }}",
                ),
            }
        },
    )
)
