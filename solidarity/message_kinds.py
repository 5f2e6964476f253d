"""Solidarity's messages (registered with ``messaging``; Korean and English). Each is queued
with one ``transaction.on_commit(message_request(...))`` line in the service that makes it:

- ``solidarity.gift_received``: a gift reached the recipient's wallet (sent or claimed);
- ``solidarity.gift_waiting``: to the email address or phone number of someone not signed up,
  a gift waits for them for 30 days;
- ``solidarity.gift_returned``: to the sender, a gift nobody claimed came back;
- ``solidarity.donation_thanks``: a one-off donation to the community fund;
- ``solidarity.relay_invitation``: to the members of an organisation nominated in a relay.
"""

from __future__ import annotations

from django.utils import timezone

from messaging.kinds import SERVICE, MessageKind, Outgoing, Text, kind_register

from .models import Donation, Gift, RelayNomination


def _sender_name(gift: Gift) -> str:
    return gift.sender.name or "사랑상품권 이용자"


def gift_received(gift_id: int) -> Outgoing | None:
    gift = Gift.objects.select_related("sender").filter(pk=gift_id).first()
    if gift is None or gift.status != Gift.Status.CLAIMED or gift.recipient_id is None:
        return None
    return Outgoing(
        dedupe_key=f"solidarity.gift_received:{gift.pk}",
        user_id=gift.recipient_id,
        context={"sender": _sender_name(gift), "amount": gift.amount, "message": gift.message},
    )


def gift_waiting(gift_id: int) -> Outgoing | None:
    gift = Gift.objects.select_related("sender").filter(pk=gift_id).first()
    if gift is None or gift.status != Gift.Status.HELD:
        return None
    return Outgoing(
        dedupe_key=f"solidarity.gift_waiting:{gift.pk}",
        email=gift.to_email,
        phone=gift.to_phone,
        context={
            "sender": _sender_name(gift),
            "amount": gift.amount,
            "message": gift.message,
            "until": timezone.localtime(gift.expires_at).date().isoformat(),
        },
    )


def gift_returned(gift_id: int) -> Outgoing | None:
    gift = Gift.objects.filter(pk=gift_id).first()
    if gift is None or gift.status != Gift.Status.RETURNED:
        return None
    return Outgoing(
        dedupe_key=f"solidarity.gift_returned:{gift.pk}",
        user_id=gift.sender_id,
        context={"amount": gift.amount, "to": gift.to_email or gift.to_phone},
    )


def donation_thanks(donation_id: int) -> Outgoing | None:
    donation = Donation.objects.filter(pk=donation_id, user__isnull=False).first()
    if donation is None:
        return None
    return Outgoing(
        dedupe_key=f"solidarity.donation_thanks:{donation.pk}",
        user_id=donation.user_id,
        context={"amount": donation.amount, "year": donation.business_date.year},
    )


def relay_invitation_outgoings(nomination_id: int) -> list[Outgoing]:
    """One message to each member of the nominated organisation."""
    nomination = (
        RelayNomination.objects.select_related("nominator", "nominee", "campaign")
        .filter(pk=nomination_id)
        .first()
    )
    if nomination is None:
        return []
    context = {
        "campaign": nomination.campaign.name,
        "nominator": nomination.nominator.name,
        "nominee": nomination.nominee.name,
        "message": nomination.message,
    }
    return [
        Outgoing(
            dedupe_key=f"solidarity.relay_invitation:{nomination.pk}:{user_id}",
            user_id=user_id,
            context=context,
        )
        for user_id in nomination.nominee.memberships.order_by("user_id").values_list(
            "user_id", flat=True
        )
    ]


kind_register(
    MessageKind(
        code="solidarity.gift_received",
        category=SERVICE,
        build=gift_received,
        alimtalk_template_id="JP_GIFT_RECEIVED",
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] {{ sender }}님이 사랑상품권 {{ amount|won }}을 선물했습니다."
                    "{% if message %} “{{ message }}”{% endif %} 지갑에서 확인하세요.",
                    subject="[{{ city }}] 사랑상품권 선물 {{ amount|won }}",
                ),
                "en": Text(
                    "[{{ city }}] {{ sender }} gave you {{ amount|won }} of Love Gift "
                    "Certificate.{% if message %} “{{ message }}”{% endif %} See your wallet.",
                    subject="[{{ city }}] A gift of {{ amount|won }}",
                ),
            }
        },
    )
)

kind_register(
    MessageKind(
        code="solidarity.gift_waiting",
        category=SERVICE,
        build=gift_waiting,
        alimtalk_template_id="JP_GIFT_WAITING",
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] {{ sender }}님이 사랑상품권 {{ amount|won }}을 선물했습니다."
                    "{% if message %} “{{ message }}”{% endif %} {{ until }}까지 이 연락처로 "
                    "가입하고 '받은 선물'을 열면 지갑에 들어갑니다. 기한이 지나면 보낸 분께 "
                    "돌아갑니다.",
                    subject="[{{ city }}] 사랑상품권 선물이 기다리고 있습니다",
                ),
                "en": Text(
                    "[{{ city }}] {{ sender }} gave you {{ amount|won }} of Love Gift "
                    "Certificate.{% if message %} “{{ message }}”{% endif %} Sign up with this "
                    "contact and open 'Gifts' by {{ until }} to receive it; after that it goes "
                    "back to the sender.",
                    subject="[{{ city }}] A gift is waiting for you",
                ),
            }
        },
    )
)

kind_register(
    MessageKind(
        code="solidarity.gift_returned",
        category=SERVICE,
        build=gift_returned,
        alimtalk_template_id="JP_GIFT_RETURNED",
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] {{ to }}님에게 보낸 선물 {{ amount|won }}이 30일 동안 "
                    "받아지지 않아 지갑으로 돌아왔습니다.",
                    subject="[{{ city }}] 선물 {{ amount|won }} 반환",
                ),
                "en": Text(
                    "[{{ city }}] Your gift of {{ amount|won }} to {{ to }} was not claimed in "
                    "30 days and is back in your wallet.",
                    subject="[{{ city }}] Gift of {{ amount|won }} returned",
                ),
            }
        },
    )
)

kind_register(
    MessageKind(
        code="solidarity.donation_thanks",
        category=SERVICE,
        build=donation_thanks,
        alimtalk_template_id="JP_DONATION_THANKS",
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] 공동체 기금에 {{ amount|won }}을 기부해 주셔서 감사합니다. "
                    "{{ year }}년 기부 영수증은 '나눔'에서 받을 수 있습니다.",
                    subject="[{{ city }}] 기부 {{ amount|won }} 감사합니다",
                ),
                "en": Text(
                    "[{{ city }}] Thank you for giving {{ amount|won }} to the community fund. "
                    "Your {{ year }} donation receipt is under 'Solidarity'.",
                    subject="[{{ city }}] Thank you for your donation of {{ amount|won }}",
                ),
            }
        },
    )
)

kind_register(
    MessageKind(
        code="solidarity.relay_invitation",
        category=SERVICE,  # sent per member by tasks.relay_invitation_send (no one-object build)
        alimtalk_template_id="JP_RELAY_INVITATION",
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] {{ nominator }}에서 {{ nominee }}에 '{{ campaign }}' 릴레이 "
                    "바통을 넘겼습니다: “{{ message }}” 캠페인 페이지에서 참여해 주세요.",
                    subject="[{{ city }}] 착한 선결제 릴레이 바통이 도착했습니다",
                ),
                "en": Text(
                    "[{{ city }}] {{ nominator }} passed the '{{ campaign }}' relay baton to "
                    "{{ nominee }}: “{{ message }}” Join on the campaign's page.",
                    subject="[{{ city }}] The relay baton has come to you",
                ),
            }
        },
    )
)
