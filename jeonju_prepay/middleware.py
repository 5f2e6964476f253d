"""Turns a domain error that escapes a page view into a clear page with the right status."""

from __future__ import annotations

from django.shortcuts import render

from .exceptions import ApplicationError


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
        template = {404: "404.html", 403: "403.html"}.get(exception.status, "error.html")
        return render(
            request,
            template,
            {"error": exception, "message": exception.message},
            status=exception.status,
        )
