"""Domain-specific configuration: /v3/domains/{id}/config and the defaults."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.identity.api.common import body, enforce, ident
from runtime.identity.service import domain_config as svc
from runtime.identity.service.core import DEFAULT_DOMAIN_ID
from runtime.identity.service.projects import get_domain

router = ApiRouter()
D = "/v3/domains/{domain_id}/config"


def _path(request: Request) -> tuple[str, str | None, str | None]:
    p = request.path_params
    return p["domain_id"], p.get("group"), p.get("option")


async def _config(request: Request) -> Any:
    data = await body(request)
    if not isinstance(data, dict) or "config" not in data:
        raise BadRequest("Expecting to find config in request body.")
    return data["config"]


async def show(request: Request) -> Response:
    domain_id, group, option = _path(request)
    # Policy comes before the domain lookup so callers cannot probe which domains exist.
    if group == svc.SECURITY_COMPLIANCE:
        enforce(request, "identity:get_security_compliance_domain_config")
        config = svc.security_compliance(ident(request).settings.security_compliance,
                                         domain_id, DEFAULT_DOMAIN_ID, option)
        with ident(request).read() as s:
            get_domain(s, domain_id)
        return json_response({"config": config})
    enforce(request, "identity:get_domain_config")
    with ident(request).read() as s:
        get_domain(s, domain_id)
        return json_response({"config": svc.get(s, domain_id, group, option)})


async def patch(request: Request) -> Response:
    enforce(request, "identity:domain_config")
    domain_id, group, option = _path(request)
    config = await _config(request)
    with ident(request).write() as s:
        get_domain(s, domain_id)
        return json_response({"config": svc.update(s, domain_id, config, group, option)})


async def remove(request: Request) -> Response:
    enforce(request, "identity:domain_config")
    domain_id, group, option = _path(request)
    with ident(request).write() as s:
        get_domain(s, domain_id)
        svc.remove(s, domain_id, group, option)
    return empty_response()


for path in (D, D + "/{group}", D + "/{group}/{option}"):
    router.get(path)(show)
    router.patch(path)(patch)
    router.delete(path)(remove)


@router.put(D)
async def create(request: Request) -> Response:
    enforce(request, "identity:domain_config")
    domain_id = request.path_params["domain_id"]
    config = await _config(request)
    with ident(request).write() as s:
        get_domain(s, domain_id)
        stored, created = svc.create(s, domain_id, config)
    return json_response({"config": stored}, status=201 if created else 200)


async def show_default(request: Request) -> Response:
    enforce(request, "identity:get_domain_config")
    p = request.path_params
    return json_response({"config": svc.defaults(p.get("group"), p.get("option"))})


for path in ("/v3/domains/config/default", "/v3/domains/config/{group}/default",
             "/v3/domains/config/{group}/{option}/default"):
    router.get(path)(show_default)
