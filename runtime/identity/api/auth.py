"""/v3/auth: issue, validate, check and revoke tokens; what a token may be scoped to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import Forbidden, NotFound, Unauthorized
from runtime.common.web import ApiRouter, context, empty_response, json_response
from runtime.identity import models as m
from runtime.identity.api.common import body, collection, enforce, ident, self_link
from runtime.identity.api.projects import project_view
from runtime.identity.service import assignments, auth, validation
from runtime.identity.service.catalog import build_catalog

router = ApiRouter()


def token_body(valid: validation.ValidToken, with_catalog: bool) -> dict[str, Any]:
    token = dict(valid.body)
    scoped = "roles" in token
    if with_catalog and scoped:
        token["catalog"] = valid.catalog
    return {"token": token}


def _wants_catalog(request: Request) -> bool:
    return "nocatalog" not in request.query_params


@router.post("/v3/auth/tokens")
async def issue(request: Request) -> Response:
    data = await body(request)
    # The password check is a deliberately slow hash: keep it off the event loop.
    token, valid = await run_in_threadpool(auth.authenticate, ident(request), data)
    return json_response(
        token_body(valid, _wants_catalog(request)),
        status=201,
        headers={"X-Subject-Token": token},
    )


def _subject(request: Request, action: str) -> validation.ValidToken:
    ctx = context(request)
    if not ctx.authenticated:
        raise Unauthorized(auth.AUTH_FAILED)
    subject = request.headers.get("x-subject-token")
    if not subject:
        raise NotFound("Expecting to find the X-Subject-Token header.")
    allow_expired = request.query_params.get("allow_expired", "").lower() in ("1", "true")
    valid = validation.validate(ident(request), subject, allow_expired=allow_expired)
    enforce(request, action, {"user_id": valid.payload.user_id})
    return valid


@router.get("/v3/auth/tokens")
async def validate(request: Request) -> Response:
    valid = _subject(request, "identity:validate_token")
    return json_response(
        token_body(valid, _wants_catalog(request)),
        headers={"X-Subject-Token": request.headers["x-subject-token"]},
    )


@router.head("/v3/auth/tokens")
async def check(request: Request) -> Response:
    _subject(request, "identity:check_token")
    return empty_response(200, headers={"X-Subject-Token": request.headers["x-subject-token"]})


@router.delete("/v3/auth/tokens")
async def revoke(request: Request) -> Response:
    _subject(request, "identity:revoke_token")
    validation.revoke(ident(request), request.headers["x-subject-token"])
    return empty_response()


@router.get("/v3/auth/catalog")
async def auth_catalog(request: Request) -> Response:
    ctx = enforce(request, "identity:get_auth_catalog")
    if not ctx.project_id:
        # Keystone serves this catalog to project-scoped tokens only.
        raise Forbidden("A project-scoped token is required to produce a service catalog.")
    with ident(request).read() as s:
        catalog = build_catalog(s, ctx.project_id, ctx.user_id)
    return json_response({"catalog": catalog, "links": self_link(request, "/v3/auth/catalog")})


@router.get("/v3/auth/projects")
async def auth_projects(request: Request) -> Response:
    ctx = enforce(request, "identity:get_auth_projects")
    assert ctx.user_id is not None
    with ident(request).read() as s:
        ids = assignments.projects_with_roles(s, ctx.user_id)
        projects = s.scalars(
            select(m.Project).where(m.Project.id.in_(ids), m.Project.enabled.is_(True))
        )
        items = [project_view(request, s, p) for p in projects]
    return collection(request, "projects", items)


@router.get("/v3/auth/domains")
async def auth_domains(request: Request) -> Response:
    ctx = enforce(request, "identity:get_auth_domains")
    assert ctx.user_id is not None
    with ident(request).read() as s:
        ids = assignments.domains_with_roles(s, ctx.user_id)
        domains = s.scalars(
            select(m.Project).where(m.Project.id.in_(ids), m.Project.enabled.is_(True))
        )
        items = [project_view(request, s, d) for d in domains]
    return collection(request, "domains", items)


@router.get("/v3/auth/system")
async def auth_system(request: Request) -> Response:
    ctx = enforce(request, "identity:get_auth_system")
    assert ctx.user_id is not None
    with ident(request).read() as s:
        system = [{"all": True}] if assignments.has_system_roles(s, ctx.user_id) else []
    return json_response({"system": system, "links": self_link(request, "/v3/auth/system")})
