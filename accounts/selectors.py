"""Reads of users and their consents, shared by pages, the API, tasks and the messaging app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .consents import CONSENT_ITEMS, ConsentItem, marketing_item_for, service_item_for
from .models import ConsentRecord, User


@dataclass(frozen=True)
class ConsentState:
    item: ConsentItem
    granted: bool
    text_version: str | None  # the version the citizen answered, None if never asked
    recorded_at: datetime | None

    @property
    def outdated(self) -> bool:
        """Answered for an older text: a marketing consent must be asked again."""
        return self.text_version is not None and self.text_version != self.item.version


def consents_current(*, user: User) -> dict[str, ConsentState]:
    """The current state of every consent item for ``user``: the latest record of each, or the
    item's default when there is none (service channels on, the rest off)."""
    latest: dict[str, ConsentRecord] = {}
    if user.pk is not None:
        rows = (
            ConsentRecord.objects.filter(user=user)
            .order_by("item", "-created_at", "-id")
            .distinct("item")
        )
        latest = {row.item: row for row in rows}
    states = {}
    for code, item in CONSENT_ITEMS.items():
        row = latest.get(code)
        states[code] = ConsentState(
            item=item,
            granted=row.granted if row else item.default,
            text_version=row.text_version if row else None,
            recorded_at=row.created_at if row else None,
        )
    return states


def marketing_allowed(*, user: User, channel: str) -> bool:
    """A current consent to advertising on ``channel``: granted, for the text now in force."""
    state = consents_current(user=user)[marketing_item_for(channel).code]
    return state.granted and not state.outdated


def service_channel_on(*, user: User, channel: str) -> bool:
    return consents_current(user=user)[service_item_for(channel).code].granted


def consent_history(*, user: User):
    return ConsentRecord.objects.filter(user=user).select_related("recorded_by")


def user_by_phone(*, phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()
