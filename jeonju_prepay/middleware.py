"""Turns a domain error that escapes a page view into a clear page with the right status,
refuses addresses that no view can use, and sets the Content-Security-Policy without building
it on every response."""

from __future__ import annotations

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .exceptions import ApplicationError
from .metrics import refusal_count


class NulCharacterMiddleware:
    """Refuses with a 400 an address whose path or query string holds a NUL character.

    PostgreSQL cannot store NUL in text, so such a value matches nothing, and the database
    driver raises (a 500) wherever a view passes it on: a ``<str:...>`` path argument, a search
    box. Bodies need no check here: forms and serializers refuse NUL themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            message = _("The address contains a character that is not allowed.")
            refusal_count(code="invalid_input", status=400)
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "invalid_input", "message": message}}, status=400
                )
            return render(request, "error.html", {"message": message}, status=400)
        return self.get_response(request)


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError):
            return None
        if request.path.startswith("/api/"):
            return None  # DRF's handler answers in JSON
        refusal_count(code=exception.code, status=exception.status)
        template = {404: "404.html", 403: "403.html"}.get(exception.status, "error.html")
        return render(
            request,
            template,
            {"error": exception, "message": exception.message},
            status=exception.status,
        )


# The attributes by which a view changes its own policy (django-csp's decorators).
_PER_VIEW = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_policies: dict[bool, str] = {}


@receiver(setting_changed)
def _forget_policies(*, setting, **kwargs):
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        _policies.clear()


def _policy(report_only: bool) -> str:
    policy = _policies.get(report_only)
    if policy is None:
        policy = _policies[report_only] = build_policy(report_only=report_only)
    return policy


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's middleware, with the policy built once per process.

    django-csp builds the header from the settings on every response: about 0.3 million
    instructions, a sixth of a bare request's Python (docs/benchmarks.md). Its input is the
    same every time unless a page asked for a nonce or a view changed its own policy
    (``csp_update`` and the like), so the plain policy is built once (again when a test changes
    the setting) and reused; a response with a nonce or its own policy goes through
    django-csp's code as before. The header rules are django-csp's: not over a header the view
    set, not when exempt or under an excluded prefix, none on debug error pages.
    """

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_VIEW
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for report_only, header, setting_name, exempt in (
            (False, HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt"),
            (True, HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro"),
        ):
            policy = _policy(report_only)
            if not policy or header in response or getattr(response, exempt, False):
                continue
            prefixes = (getattr(settings, setting_name, None) or {}).get(
                "EXCLUDE_URL_PREFIXES"
            ) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
