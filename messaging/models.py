"""Every message to a citizen, and the sandbox provider's outbox.

A ``Message`` is one message on one channel. Its ``dedupe_key`` (unique) names it for good: the
domain event it is about and the channel (``campaigns.pledge_receipt:41:sms``), so a repeated
event, a retried task or a second worker finds the row and sends nothing more. The row is
committed before any provider is called (the delivery task is queued on commit), and a delivery
first claims the row (``queued``/``retrying`` → ``sending`` in one UPDATE), so two workers never
call the provider for one message.

Statuses: ``queued`` (waiting for its first try), ``sending`` (a worker holds it), ``retrying``
(a try failed for a reason that may pass; the next one is scheduled with exponential backoff),
``sent`` (the provider accepted it; ``provider_message_id`` is its id there), ``failed`` (refused
for good, or out of tries), ``suppressed`` (not sent: no consent, the citizen turned the channel
off, or no address for it), ``uncertain`` (the provider did not answer after receiving the
request: it may have been sent, so it is never retried automatically; staff check the provider's
records).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")
        ALIMTALK = "alimtalk", _("KakaoTalk notification")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Waiting to retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent (no consent or channel off)")
        UNCERTAIN = "uncertain", _("Unknown: the provider did not answer")

    class Category(models.TextChoices):
        SERVICE = "service", _("Service message")
        MARKETING = "marketing", _("Advertising")
        AUTH = "auth", _("Sign-in code")

    kind = models.CharField(_("kind"), max_length=60)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    to = models.CharField(_("to"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=5, default="ko")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    alimtalk_template_id = models.CharField(max_length=60, blank=True)
    sensitive = models.BooleanField(default=False)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_message_id = models.CharField(_("provider's id"), max_length=100, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), db_default=Now())
    updated_at = models.DateTimeField(_("updated"), db_default=Now())
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"]),
            models.Index(fields=["status", "updated_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attempts__gte=0), name="messaging_message_attempts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} #{self.pk} ({self.status})"


class SandboxDelivery(models.Model):
    """What the sandbox provider would have sent: the outbox developers and tests read
    (``/messages/sandbox/`` under ``make run``, and the admin)."""

    channel = models.CharField(max_length=10, choices=Message.Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    alimtalk_template_id = models.CharField(max_length=60, blank=True)
    reference = models.CharField(max_length=200)  # the message's dedupe key
    kind = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("sandbox delivery")
        verbose_name_plural = _("sandbox outbox")
        ordering = ["-id"]
        indexes = [models.Index(fields=["to", "-id"]), models.Index(fields=["reference"])]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}"


class SandboxFault(models.Model):
    """A failure the sandbox provider plays for one address: the next ``failures`` sends to
    ``to`` fail (``transient``: an outage, retried; otherwise a refusal, not retried). For tests
    and for trying retries by hand in the admin."""

    to = models.CharField(max_length=254, unique=True)
    failures = models.PositiveSmallIntegerField(default=1)
    transient = models.BooleanField(default=True)
    error_code = models.CharField(max_length=60, default="SandboxOutage")

    class Meta:
        verbose_name = _("sandbox fault")
        verbose_name_plural = _("sandbox faults")

    def __str__(self) -> str:
        return f"{self.failures} failures for {self.to}"
