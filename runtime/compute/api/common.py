"""Helpers every compute API module uses: the service, the caller, policy, the
request's microversion, bodies and Nova's error shape."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common import policy
from runtime.common.context import Context
from runtime.common.errors import ApiError, BadRequest, NotFound
from runtime.common.web import context, json_body, json_response
from runtime.compute import schemas as sch
from runtime.compute.microversions import Version, parse
from runtime.compute.policies import RULES
from runtime.compute.service.core import Compute

VERSION_KEY = "haneul.compute.version"

# Nova's fault names by status (nova.api.openstack.wsgi.Fault).
FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}


def nova_error_body(err: ApiError) -> dict[str, Any]:
    name = FAULT_NAMES.get(err.status, "computeFault")
    message = err.message if err.message else HTTPStatus(err.status).phrase
    return {name: {"code": err.status, "message": message}}


def compute(request: Request) -> Compute:
    c: Compute = request.app.state.compute
    return c


def enforce(request: Request, action: str, target: Mapping[str, Any] | None = None) -> Context:
    """The caller, once policy allows ``action`` on ``target`` (default: own project)."""
    ctx = context(request)
    if target is None:
        target = {"project_id": ctx.project_id, "user_id": ctx.user_id}
    policy.enforce(RULES, action, ctx, target)
    return ctx


def version(request: Request) -> Version:
    v: Version = request.scope.get(VERSION_KEY) or parse("2.1")
    return v


def at_least(request: Request, text: str) -> bool:
    return version(request) >= parse(text)


def removed_after(request: Request, last: str) -> None:
    """Answer 404, as Nova does, for an API its microversion ``last`` was the last of."""
    if version(request) > parse(last):
        raise NotFound("The resource could not be found.")


async def body(request: Request) -> Any:
    return await json_body(request, compute(request).settings.max_request_body_size)


async def metadata_body(request: Request, key: str) -> dict[str, str]:
    """A ``{"metadata": {...}}`` (or ``{"meta": {...}}``) body of string pairs."""
    data = await body(request)
    if not isinstance(data, dict) or key not in data:
        raise sch.invalid(key, data, f"'{key}' is a required property")
    sch.only(data, (key,))
    return sch.metadata(data[key], key)


async def entity(request: Request, key: str) -> dict[str, Any]:
    """The ``{"key": {...}}`` body Nova requests use."""
    data = await body(request)
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise BadRequest(f"Invalid input for field/attribute {key}. Value: {data}. "
                         f"'{key}' is a required property")
    return dict(data[key])


def link(request: Request, path: str) -> list[dict[str, str]]:
    """Nova's self and bookmark links for ``path`` ("/flavors/1")."""
    base = compute(request).base_url
    return [{"rel": "self", "href": f"{base}/v2.1{path}"},
            {"rel": "bookmark", "href": f"{base}{path}"}]


def member(key: str, item: Any, status: int = 200) -> Response:
    return json_response({key: item}, status=status)


def all_projects(request: Request) -> bool:
    """?all_tenants=1 (or any value but 0/false), as Nova reads it."""
    raw = request.query_params.get("all_tenants")
    if raw is None:
        return False
    return raw.strip().lower() not in ("0", "false", "no", "off")
