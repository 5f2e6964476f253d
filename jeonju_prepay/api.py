"""API plumbing shared by every app: the error shape, the idempotency header, the JSON parser
and the money field."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.response import Response
from rest_framework.utils import json as drf_json
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ApplicationError
from .korean import particles_resolve
from .metrics import refusal_count

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"


def error_response(code: str, message: str, status_code: int, detail=None) -> Response:
    # Korean messages carry particle markers (을(를)...) after their variables: resolved here.
    body = {"code": code, "message": particles_resolve(message)}
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
    """Every error leaves the API as ``{"error": {"code", "message"}}`` with a 4xx status, and
    is counted by its code on the metrics page (``jp_refusals_total``)."""
    response = _error_response(exc, context)
    if response is not None and isinstance(response.data, dict) and "error" in response.data:
        refusal_count(code=response.data["error"].get("code", "error"), status=response.status_code)
    return response


def _error_response(exc, context):
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


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, but a body that names a key twice is refused: with
    ``{"amount": 1000, "amount": 9000000}`` the client and the server could disagree on which
    amount was meant (Python keeps the last one silently). Its messages are translated."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            # The body at once: a counter's is a few dozen bytes, and a streaming decoder cost
            # more than the parsing.
            text = stream.read().decode(encoding)
            return drf_json.loads(text, object_pairs_hook=_object_without_duplicate_keys)
        except _DuplicateKeyError as exc:
            raise drf_exceptions.ParseError(
                _("The request body names %(key)s more than once.") % {"key": exc.key}
            ) from exc
        except ValueError as exc:
            raise drf_exceptions.ParseError(_("The request body is not valid JSON.")) from exc
        except RecursionError as exc:
            # Thousands of nested arrays make the parser recurse until Python gives up.
            raise drf_exceptions.ParseError(
                _("The request body is nested too deeply to be read.")
            ) from exc


class JSONFirstContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, with the common case answered without parsing: no ``Accept``
    header, or one that is exactly ``*/*`` or ``application/json``, and no format override,
    gets the first renderer (JSON, the only one the API has), as DRF's own negotiation would
    choose. Anything else, a 406 included, goes through DRF's negotiation unchanged."""

    _plain = frozenset(("*/*", "application/json"))

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            format_suffix is None
            and renderers
            and renderers[0].media_type == "application/json"
            and request.headers.get("accept", "*/*").strip() in self._plain
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key[:50]


def _object_without_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


class MoneyField(serializers.IntegerField):
    """Whole won: a JSON integer (or a string of ASCII digits). Refuses what ``int()`` would
    quietly take: a float such as ``1000.0``, digits of other scripts ("１２３", "١٢٣"),
    booleans. Bounds as ``IntegerField`` (``min_value``, ``max_value``)."""

    default_error_messages = {
        "invalid": gettext_lazy("An amount is a whole number of won, like 12000."),
    }

    def to_internal_value(self, data):
        if isinstance(data, bool | float):
            self.fail("invalid")
        if isinstance(data, str) and not (data.isascii() and data.strip().isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, for programs"},
                "message": {"type": "string", "description": "translated, for people"},
                "detail": {"description": "per-field errors or the refusal's figures"},
            },
        }
    },
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation answers a refusal as
    ``{"error": {"code", "message"}}`` with a 4xx (``exception_handler`` above, and
    ``views.not_found`` for addresses that match nothing); the schema says so, so that clients
    and schemathesis can hold the API to it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operation.setdefault("responses", {}).setdefault(
                    "4XX",
                    {
                        "description": "Refused: bad input, not signed in, not allowed, not "
                        "found, a conflict, or too many attempts.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result
