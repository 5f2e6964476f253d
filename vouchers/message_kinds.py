"""The wallet's messages to citizens (registered with ``messaging``; texts in Korean and English).

Sent from ``vouchers.services`` with one ``transaction.on_commit(message_request(...))`` line:
a charge's result (in ``charge_callback_handle``) and a refund (in ``wallet_refund``).
"""

from __future__ import annotations

from messaging.kinds import SERVICE, MessageKind, Outgoing, Text, kind_register

from .models import Charge, Refund


def charge_result(charge_id: int) -> Outgoing | None:
    """The result of a charge: credited, or failed. A pledge paid by card has its own receipt
    (``campaigns.pledge_receipt``), so only its failure is told here."""
    charge = Charge.objects.filter(pk=charge_id).first()
    if charge is None:
        return None
    if charge.status == Charge.Status.PAID and charge.purpose == "wallet":
        variant = "paid"
    elif charge.status == Charge.Status.FAILED or (
        charge.status == Charge.Status.CANCELLED and charge.paid_at is None
    ):
        variant = "failed"  # a cancellation of a paid charge is not a failure to charge
    else:
        return None
    return Outgoing(
        dedupe_key=f"vouchers.charge_result:{charge.order_id}:{charge.status}",
        user_id=charge.user_id,
        variant=variant,
        context={
            "amount": charge.amount,
            "incentive": charge.incentive,
            "order_id": charge.order_id,
        },
    )


def refund_done(refund_id: int) -> Outgoing | None:
    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is None:
        return None
    return Outgoing(
        dedupe_key=f"vouchers.refund_done:{refund.pk}",
        user_id=refund.user_id,
        context={"principal": refund.principal, "incentive": refund.incentive_returned},
    )


kind_register(
    MessageKind(
        code="vouchers.charge_result",
        category=SERVICE,
        build=charge_result,
        alimtalk_template_id="JP_CHARGE_RESULT",
        templates={
            "paid": {
                "ko": Text(
                    "[{{ city }}] 사랑상품권 {{ amount|won }} 충전이 완료되었습니다."
                    "{% if incentive %} 충전 인센티브 {{ incentive|won }}도 함께 지급되었습니다.{% endif %}",
                    subject="[{{ city }}] 충전 완료 {{ amount|won }}",
                ),
                "en": Text(
                    "[{{ city }}] Your Love Gift Certificate wallet was charged with {{ amount|won }}."
                    "{% if incentive %} A charging incentive of {{ incentive|won }} was added.{% endif %}",
                    subject="[{{ city }}] Charge of {{ amount|won }} done",
                ),
            },
            "failed": {
                "ko": Text(
                    "[{{ city }}] {{ amount|won }} 충전이 완료되지 않았습니다. 결제된 금액은 "
                    "취소되며 지갑에는 변동이 없습니다. (주문 {{ order_id }})",
                    subject="[{{ city }}] 충전 실패 {{ amount|won }}",
                ),
                "en": Text(
                    "[{{ city }}] Your charge of {{ amount|won }} did not go through. Any card "
                    "payment is cancelled and your wallet is unchanged. (Order {{ order_id }})",
                    subject="[{{ city }}] Charge of {{ amount|won }} failed",
                ),
            },
        },
    )
)

kind_register(
    MessageKind(
        code="vouchers.refund_done",
        category=SERVICE,
        build=refund_done,
        alimtalk_template_id="JP_REFUND_DONE",
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] 사랑상품권 잔액 {{ principal|won }}이 환불되었습니다."
                    "{% if incentive %} 인센티브 {{ incentive|won }}은 환불 대상이 아니어서 "
                    "반납되었습니다.{% endif %}",
                    subject="[{{ city }}] 환불 완료 {{ principal|won }}",
                ),
                "en": Text(
                    "[{{ city }}] The remaining balance of {{ principal|won }} was refunded."
                    "{% if incentive %} The incentive of {{ incentive|won }} is not refunded and "
                    "went back to the city.{% endif %}",
                    subject="[{{ city }}] Refund of {{ principal|won }} done",
                ),
            }
        },
    )
)
