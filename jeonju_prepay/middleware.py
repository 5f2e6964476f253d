"""Turns a domain error that escapes a page view into a clear page with the right status, and
refuses addresses that no view can use."""

from __future__ import annotations

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
