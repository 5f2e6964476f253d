"""The grants' messages to citizens: a decision on an application, and the notice a week
before the spending deadline. Sent with ``transaction.on_commit(message_request(...))`` from
``grants.services``."""

from __future__ import annotations

from messaging.kinds import SERVICE, MessageKind, Outgoing, Text, kind_register

from .models import Application, ExpiryNotice


def decision(application_id: int) -> Outgoing | None:
    application = Application.objects.select_related("programme").filter(pk=application_id).first()
    if application is None or application.status not in (
        Application.Status.APPROVED,
        Application.Status.REJECTED,
        Application.Status.DOCUMENTS_REQUESTED,
    ):
        return None
    return Outgoing(
        dedupe_key=f"grants.decision:{application.pk}:{application.status}",
        user_id=application.applicant_id,
        variant=application.status,
        context={
            "programme": application.programme.name,
            "amount": application.amount,
            "reason": application.reason,
            "spend_until": application.programme.spend_until.strftime("%Y-%m-%d"),
        },
    )


def expiry_notice(notice_id: int) -> Outgoing | None:
    notice = ExpiryNotice.objects.select_related("programme").filter(pk=notice_id).first()
    if notice is None:
        return None
    return Outgoing(
        dedupe_key=f"grants.expiry_notice:{notice.programme_id}:{notice.user_id}",
        user_id=notice.user_id,
        context={
            "programme": notice.programme.name,
            "balance": notice.balance,
            "spend_until": notice.programme.spend_until.strftime("%Y-%m-%d"),
        },
    )


kind_register(
    MessageKind(
        code="grants.decision",
        category=SERVICE,
        build=decision,
        alimtalk_template_id="JP_GRANT_DECISION",
        templates={
            "approved": {
                "ko": Text(
                    "[{{ city }}] {{ programme }} 신청이 승인되었습니다. {{ amount|won }}이 "
                    "지갑으로 지급되며 {{ spend_until }}까지 사용할 수 있습니다.",
                    subject="[{{ city }}] {{ programme }} 승인",
                ),
                "en": Text(
                    "[{{ city }}] Your application for {{ programme }} is approved. "
                    "{{ amount|won }} will be paid into your wallet, to spend by {{ spend_until }}.",
                    subject="[{{ city }}] {{ programme }} approved",
                ),
            },
            "rejected": {
                "ko": Text(
                    "[{{ city }}] {{ programme }} 신청이 승인되지 않았습니다. 사유: {{ reason }}",
                    subject="[{{ city }}] {{ programme }} 결과",
                ),
                "en": Text(
                    "[{{ city }}] Your application for {{ programme }} was not approved. "
                    "Reason: {{ reason }}",
                    subject="[{{ city }}] {{ programme }} decision",
                ),
            },
            "documents_requested": {
                "ko": Text(
                    "[{{ city }}] {{ programme }} 신청에 서류가 더 필요합니다: {{ reason }}",
                    subject="[{{ city }}] {{ programme }} 서류 요청",
                ),
                "en": Text(
                    "[{{ city }}] Your application for {{ programme }} needs a document: "
                    "{{ reason }}",
                    subject="[{{ city }}] {{ programme }}: document needed",
                ),
            },
        },
    )
)

kind_register(
    MessageKind(
        code="grants.expiry_notice",
        category=SERVICE,
        build=expiry_notice,
        alimtalk_template_id="JP_GRANT_EXPIRY",
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] {{ programme }} 잔액 {{ balance|won }}은 {{ spend_until }}까지 "
                    "사용할 수 있습니다. 남은 금액은 기한 후 시로 반납됩니다.",
                    subject="[{{ city }}] {{ programme }} 사용 기한 안내",
                ),
                "en": Text(
                    "[{{ city }}] {{ balance|won }} of {{ programme }} is left to spend by "
                    "{{ spend_until }}. What is left then goes back to the city.",
                    subject="[{{ city }}] {{ programme }}: spend by {{ spend_until }}",
                ),
            }
        },
    )
)
