"""Reads of messages, for the sandbox outbox page, the admin and tests."""

from __future__ import annotations

from .models import Message, SandboxDelivery


def sandbox_outbox(*, limit: int = 100):
    return SandboxDelivery.objects.all()[:limit]


def messages_of_user(*, user, limit: int = 50):
    return Message.objects.filter(user=user)[:limit]
