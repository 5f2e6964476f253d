"""Email through Django's mail (``EMAIL_BACKEND``, ``EMAIL_HOST`` ... ``DEFAULT_FROM_EMAIL``)."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage

from .base import Outbound, ProviderError, SendResult


class DjangoMailProvider:
    name = "django"

    def send(self, message: Outbound) -> SendResult:
        message_id = make_msgid(domain="jeonju-prepay")
        mail = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id},
        )
        try:
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ProviderError("RecipientRefused", str(exc)[:200], transient=False) from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx answers are temporary by SMTP's own rule; 5xx are refusals.
            raise ProviderError(
                f"SMTP{exc.smtp_code}", str(exc.smtp_error)[:200], transient=exc.smtp_code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderError("SMTPUnavailable", str(exc)[:200], transient=True) from exc
        return SendResult(provider_message_id=message_id)
