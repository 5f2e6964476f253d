"""Relay challenges: an organisation that joined a campaign passes the baton to others of the
city, each nominated organisation is invited (a message to its members) and may join.

Rules: the nominator's member acts for it; the nominator must have joined the campaign; the
nominee must be another organisation that has not joined and has not been nominated in this
campaign (a unique constraint makes the relay a tree: one baton per organisation). A member of
the nominee accepts, which makes the organisation join the campaign. Cities never meet: each
city's organisations are in its own schema. Locks the nomination row when accepting.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from campaigns.models import Campaign, Membership, Organisation

from ..exceptions import RelayError
from ..models import RelayNomination
from ..tasks import relay_invitation_request

MESSAGE_MAX = 200


def _member(user: User, organisation: Organisation) -> bool:
    return Membership.objects.filter(organisation=organisation, user=user).exists()


def relay_nominate(
    *, campaign: Campaign, nominator: Organisation, nominee: Organisation, message: str, by: User
) -> RelayNomination:
    """Pass the baton from ``nominator`` to ``nominee`` with ``message``. Raises
    ``RelayError`` (nothing written) when a rule above is not met."""
    message = (message or "").strip()
    if not message or len(message) > MESSAGE_MAX:
        raise RelayError(_("Write a pass-the-baton message of up to 200 characters."))
    if not _member(by, nominator):
        raise RelayError(_("Only a member of the organisation passes its baton."), code="forbidden")
    if not nominator.campaigns.filter(pk=campaign.pk).exists():
        raise RelayError(_("Your organisation joins the campaign before passing the baton."))
    if nominee.pk == nominator.pk:
        raise RelayError(_("Pass the baton to another organisation."))
    if nominee.campaigns.filter(pk=campaign.pk).exists():
        raise RelayError(_("That organisation has joined the campaign already."))
    try:
        with transaction.atomic():
            nomination = RelayNomination.objects.create(
                campaign=campaign,
                nominator=nominator,
                nominee=nominee,
                message=message,
                created_by=by,
            )
    except IntegrityError as exc:
        raise RelayError(
            _("That organisation has received a baton in this campaign already.")
        ) from exc
    transaction.on_commit(lambda: relay_invitation_request(nomination.pk))
    return nomination


def relay_join(*, nomination_id: int, by: User) -> RelayNomination:
    """A member of the nominated organisation accepts: the organisation joins the campaign.
    Once: a second acceptance changes nothing. Raises ``RelayError``."""
    with transaction.atomic():
        nomination = (
            RelayNomination.objects.select_for_update()
            .select_related("nominee", "campaign")
            .filter(pk=nomination_id)
            .first()
        )
        if nomination is None:
            raise RelayError(_("There is no such invitation."), code="not_found")
        if not _member(by, nomination.nominee):
            raise RelayError(
                _("Only a member of the invited organisation accepts."), code="forbidden"
            )
        if nomination.status == RelayNomination.Status.JOINED:
            return nomination
        nomination.nominee.campaigns.add(nomination.campaign)
        nomination.status = RelayNomination.Status.JOINED
        nomination.joined_at = timezone.now()
        nomination.save(update_fields=["status", "joined_at"])
    return nomination
