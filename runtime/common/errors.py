"""API errors with OpenStack's status codes.

Services raise these from anywhere below the HTTP layer; each service's API decides the
body shape (Keystone's ``{"error": {...}}``, Nova's ``{"itemNotFound": {...}}`` ...)
through an :data:`ErrorFormatter`.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any


class ApiError(Exception):
    """An error that maps to an HTTP status and a message shown to the caller."""

    status: int = 500

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if status is not None:
            self.status = status
        self.message = message or HTTPStatus(self.status).phrase
        self.headers = headers or {}
        super().__init__(self.message)

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class Conflict(ApiError):
    status = 409


class Gone(ApiError):
    status = 410


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


ErrorFormatter = Callable[[ApiError], dict[str, Any]]


def keystone_error_body(err: ApiError) -> dict[str, Any]:
    """Keystone's shape, also used where a service has no shape of its own."""
    return {"error": {"code": err.status, "title": err.title, "message": err.message}}
