"""API plumbing shared by every app: the error shape and the idempotency header."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ApplicationError

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"


def error_response(code: str, message: str, status_code: int, detail=None) -> Response:
    body = {"code": code, "message": message}
    if detail:
        body["detail"] = detail
    return Response({"error": body}, status=status_code)


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            msg = _first_message(value)
            return msg if key == "non_field_errors" else f"{key}: {msg}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc, context):
    """Every error leaves the API as ``{"error": {"code", "message"}}`` with a 4xx status."""
    if isinstance(exc, ApplicationError):
        return error_response(exc.code, exc.message, exc.status, exc.extra or None)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        return error_response(
            "invalid_input", _first_message(exc.detail), status.HTTP_400_BAD_REQUEST, exc.detail
        )
    if isinstance(exc, drf_exceptions.Throttled):
        wait = int(exc.wait or 1)
        resp = error_response(
            "rate_limited",
            _("Too many attempts. Try again in %(seconds)s seconds.") % {"seconds": wait},
            status.HTTP_429_TOO_MANY_REQUESTS,
        )
        resp["Retry-After"] = str(wait)
        return resp
    if isinstance(exc, drf_exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        return error_response(code, _first_message(exc.detail), response.status_code)
    return response


def idempotency_key_from(request) -> str:
    """The ``Idempotency-Key`` header, checked for shape (1-100 printable ASCII characters)."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        raise drf_exceptions.ValidationError(
            {"Idempotency-Key": _("This request moves money and needs an Idempotency-Key header.")}
        )
    if len(key) > 100 or not key.isascii() or not key.isprintable():
        raise drf_exceptions.ValidationError(
            {"Idempotency-Key": _("An Idempotency-Key is 1 to 100 printable ASCII characters.")}
        )
    return key
