from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from .selectors import sandbox_outbox


def sandbox_outbox_page(request):
    """What the sandbox provider would have sent, newest first: under ``make run`` this is where
    a sign-in code or a receipt is read. Only while the sandbox is in use and DEBUG is on (or
    ``MESSAGING_SANDBOX_PAGE``), never in production; city staff see it in the admin too."""
    in_use = "sandbox" in (settings.MESSAGING_EMAIL_PROVIDER, settings.MESSAGING_SMS_PROVIDER)
    shown = settings.MESSAGING_SANDBOX_PAGE
    if shown is None:
        shown = settings.DEBUG
    if not (in_use and shown):
        raise Http404
    return render(request, "messaging/sandbox_outbox.html", {"deliveries": sandbox_outbox()})
