"""What the card, note and desk services share: who may serve, and the record of it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role

from ..exceptions import DeskForbiddenError
from ..models import AssistedAction, Desk

STAFF_ROLES = (Role.CITY_STAFF, Role.BANK_TELLER, Role.COMMUNITY_STAFF)


def is_card_staff(user: User) -> bool:
    return any(user.has_role(role) for role in STAFF_ROLES)


def staff_check(user: User) -> None:
    """Refuse anyone who is not city staff, a bank teller or community-centre staff."""
    if not user.is_authenticated or not is_card_staff(user):
        raise DeskForbiddenError(_("Only city staff and desk staff can do this."))


def desk_check(*, desk: Desk, staff: User, kinds: tuple[str, ...] = ()) -> None:
    """Refuse a staff member who does not serve at ``desk`` (or a desk of another kind)."""
    if not desk.is_active or not desk.staff.filter(pk=staff.pk).exists():
        raise DeskForbiddenError()
    if kinds and desk.kind not in kinds:
        raise DeskForbiddenError(_("This is not done at this kind of desk."))


def action_record(
    *,
    kind: str,
    staff: User,
    desk: Desk | None = None,
    citizen: User | None = None,
    amount: int = 0,
    **detail,
) -> AssistedAction:
    return AssistedAction.objects.create(
        kind=kind, staff=staff, desk=desk, citizen=citizen, amount=amount, detail=detail
    )
