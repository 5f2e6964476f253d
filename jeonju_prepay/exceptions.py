"""The one base class of every domain error.

A service raises a subclass with a stable ``code`` and a human ``message`` (translated). Views
turn it into a form error or a message; the API turns it into ``{"error": {"code", "message"}}``
with ``status``. Nothing has changed when one is raised: services raise before they write or
inside the transaction that is then rolled back.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    code: str = "invalid"
    status: int = 400
    default_message: str | Promise = ""

    def __init__(
        self, message: str | Promise | None = None, *, code: str | None = None, **extra: Any
    ):
        self.message = str(message or self.default_message or self.code)
        if code is not None:
            self.code = code
        self.extra = extra
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.extra:
            body["detail"] = self.extra
        return body


class NotFoundError(ApplicationError):
    code = "not_found"
    status = 404


class ForbiddenError(ApplicationError):
    code = "forbidden"
    status = 403


class ConflictError(ApplicationError):
    code = "conflict"
    status = 409


class RateLimitedError(ApplicationError):
    code = "rate_limited"
    status = 429
