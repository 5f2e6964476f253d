"""Providers by channel, chosen by settings: ``MESSAGING_EMAIL_PROVIDER`` (``sandbox`` or
``django``: Django's mail with the ``EMAIL_*`` settings) and ``MESSAGING_SMS_PROVIDER`` (``sandbox``
or ``solapi``) for text messages and KakaoTalk notification talk."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import Outbound, Provider, ProviderError, ProviderUncertainError, SendResult

__all__ = [
    "Outbound",
    "Provider",
    "ProviderError",
    "ProviderUncertainError",
    "SendResult",
    "provider_for",
]


def provider_for(channel: str) -> Provider:
    name = (
        settings.MESSAGING_EMAIL_PROVIDER if channel == "email" else settings.MESSAGING_SMS_PROVIDER
    )
    if name == "sandbox":
        from .sandbox import SandboxProvider

        return SandboxProvider()
    if name == "django" and channel == "email":
        from .email import DjangoMailProvider

        return DjangoMailProvider()
    if name == "solapi" and channel in ("sms", "alimtalk"):
        from .solapi import SolapiProvider

        return SolapiProvider.from_settings()
    raise ImproperlyConfigured(f"no message provider {name!r} for the {channel} channel")
