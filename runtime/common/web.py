"""The thin HTTP layer every service's ``api`` uses on top of Starlette.

A service declares routes on an :class:`ApiRouter`; :func:`build_service_app` turns it
into an ASGI app whose errors come out in the service's own error shape, including the
404 and 405 that the router itself produces.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime.common.context import Context
from runtime.common.errors import ApiError, BadRequest, ErrorFormatter, PayloadTooLarge

Handler = Callable[[Request], Awaitable[Response]]

# Keystone's default max_request_body_size; services may choose their own.
DEFAULT_MAX_BODY = 114_688


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler


class ApiRouter:
    """Collects ``(method, path) -> handler`` declarations for one service."""

    def __init__(self) -> None:
        self.specs: list[RouteSpec] = []

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def decorator(fn: Handler) -> Handler:
            self.specs.append(RouteSpec(method.upper(), path, fn))
            return fn

        return decorator

    def get(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("GET", path)

    def post(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("POST", path)

    def put(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("PUT", path)

    def patch(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path)

    def delete(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path)

    def head(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("HEAD", path)

    def include(self, other: ApiRouter) -> None:
        self.specs.extend(other.specs)

    def starlette_routes(self) -> list[Route]:
        by_path: dict[str, dict[str, Handler]] = {}
        for spec in self.specs:
            by_path.setdefault(spec.path, {})[spec.method] = spec.handler
        routes = []
        for path, methods in by_path.items():
            routes.append(Route(path, _dispatch(methods), methods=list(methods)))
        return routes


def _dispatch(methods: Mapping[str, Handler]) -> Handler:
    """One endpoint per path so that an unknown method is a 405, not a 404."""
    table = dict(methods)
    # GET handlers answer HEAD too unless the service declared its own HEAD.
    if "GET" in table and "HEAD" not in table:
        table["HEAD"] = table["GET"]

    async def endpoint(request: Request) -> Response:
        handler = table.get(request.method)
        if handler is None:
            raise ApiError(status=405)
        return await handler(request)

    return endpoint


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json",
    )


def empty_response(status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=dict(headers or {}))


def context(request: Request) -> Context:
    """The caller, as set by the auth middleware."""
    ctx: Context = request.scope["haneul.context"]
    return ctx


async def read_body(request: Request, limit: int = DEFAULT_MAX_BODY) -> bytes:
    """The request body, refused with 413 past ``limit`` without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("Request is too large.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge("Request is too large.")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request, limit: int = DEFAULT_MAX_BODY) -> Any:
    raw = await read_body(request, limit)
    if not raw.strip():
        raise BadRequest("The request body is empty; a JSON document is expected.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Malformed request body: {exc}") from None


def error_response(err: ApiError, formatter: ErrorFormatter) -> Response:
    return json_response(formatter(err), status=err.status, headers=err.headers)


def build_service_app(router: ApiRouter, formatter: ErrorFormatter) -> Starlette:
    """An ASGI app serving ``router``'s routes, with every error in ``formatter``'s shape."""

    async def on_api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc, formatter)

    async def on_http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {404: "The resource could not be found."}.get(exc.status_code)
        return error_response(ApiError(message, status=exc.status_code), formatter)

    return Starlette(
        routes=router.starlette_routes(),
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error},
    )
