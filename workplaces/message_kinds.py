"""The programme's messages: a reminder to an employer whose monthly report is missing."""

from __future__ import annotations

from messaging.kinds import SERVICE, MessageKind, Outgoing, Text, kind_register

from .models import ReportReminder


def report_missing(reminder_id: int) -> Outgoing | None:
    reminder = (
        ReportReminder.objects.select_related("declaration__workplace")
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None:
        return None
    workplace = reminder.declaration.workplace
    return Outgoing(
        dedupe_key=f"workplaces.report_missing:{reminder.pk}",
        user_id=workplace.owner_id,
        context={"workplace": workplace.name, "month": f"{reminder.month:%Y-%m}"},
    )


kind_register(
    MessageKind(
        code="workplaces.report_missing",
        category=SERVICE,
        build=report_missing,
        templates={
            "": {
                "ko": Text(
                    "[{{ city }}] {{ workplace }}의 {{ month }} 고용 현황 보고가 아직 없습니다. "
                    "누리집에서 보고해 주세요.",
                    subject="[{{ city }}] 고용 현황 보고 요청",
                ),
                "en": Text(
                    "[{{ city }}] The {{ month }} headcount report of {{ workplace }} is missing. "
                    "Please file it on the city's site.",
                    subject="[{{ city }}] Headcount report due",
                ),
            }
        },
    )
)
