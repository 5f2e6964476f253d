"""The sandbox provider: records what it would have sent (``SandboxDelivery``) in the city's
schema, and plays the failures set up in ``SandboxFault``. Nothing leaves the machine."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from ..models import SandboxDelivery, SandboxFault
from .base import Outbound, ProviderError, SendResult


class SandboxProvider:
    name = "sandbox"

    def send(self, message: Outbound) -> SendResult:
        with transaction.atomic():
            fault = SandboxFault.objects.select_for_update().filter(to=message.to).first()
            if fault is not None and fault.failures > 0:
                SandboxFault.objects.filter(pk=fault.pk).update(failures=F("failures") - 1)
                failure = ProviderError(
                    fault.error_code, "sandbox fault", transient=fault.transient
                )
            else:
                failure = None
                delivery = SandboxDelivery.objects.create(
                    channel=message.channel,
                    to=message.to,
                    subject=message.subject,
                    body=message.body,
                    alimtalk_template_id=message.alimtalk_template_id,
                    reference=message.reference,
                    kind=message.kind,
                )
        if failure is not None:
            raise failure
        return SendResult(provider_message_id=f"sandbox-{delivery.pk}")
