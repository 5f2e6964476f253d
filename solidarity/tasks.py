"""Celery tasks of solidarity: thin, by id, in the city's schema (tenant-schemas-celery)."""

from __future__ import annotations

import logging

from celery import shared_task
from django_tenants.utils import get_public_schema_name

from jeonju_prepay.db import schema_name
from messaging.services import message_outgoing_send

from .message_kinds import relay_invitation_outgoings

logger = logging.getLogger(__name__)


@shared_task(name="solidarity.tasks.relay_invitation_send", acks_late=True, max_retries=5)
def relay_invitation_send(nomination_id: int):
    """One invitation to each member of the nominated organisation (each once: dedupe keys)."""
    if schema_name() == get_public_schema_name():
        logger.error("relay_invitation_send without a city's schema; nothing done")
        return {"status": "no_city"}
    sent = []
    for outgoing in relay_invitation_outgoings(nomination_id):
        sent += [
            m.pk
            for m in message_outgoing_send(kind="solidarity.relay_invitation", outgoing=outgoing)
        ]
    return {"status": "prepared", "messages": sent}


def relay_invitation_request(nomination_id: int) -> None:
    """Queue the invitations (from ``on_commit``); never raises into the caller."""
    try:
        relay_invitation_send.apply_async(kwargs={"nomination_id": nomination_id})
    except Exception:
        logger.exception("relay invitation %s could not be queued", nomination_id)
