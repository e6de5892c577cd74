"""Roles, implied roles (/v3/roles/{prior}/implies) and /v3/role_inferences."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.api.common import body, collection, enforce, ident, member, self_link, url
from runtime.identity.service import roles as svc
from runtime.identity.service.listing import apply_filters

router = ApiRouter()


def role_view(request: Request, r: m.Role) -> dict[str, Any]:
    return {
        **r.extra,
        "id": r.id,
        "name": r.name,
        "domain_id": r.domain_id,
        "description": r.description,
        "options": r.options or {},
        "links": self_link(request, f"/v3/roles/{r.id}"),
    }


# --- roles ------------------------------------------------------------------------------------


@router.get("/v3/roles")
async def list_roles(request: Request) -> Response:
    enforce(request, "identity:list_roles")
    q = request.query_params
    with ident(request).read() as s:
        items = [role_view(request, r) for r in svc.list_roles(s, q.get("domain_id") or None)]
    return collection(request, "roles", apply_filters(items, q, ("name",)))


@router.post("/v3/roles")
async def create_role(request: Request) -> Response:
    enforce(request, "identity:create_role")
    data = sch.entity(await body(request), "role")
    with ident(request).write() as s:
        return member("role", role_view(request, svc.create_role(s, data)), 201)


@router.get("/v3/roles/{role_id}")
async def get_role(request: Request) -> Response:
    enforce(request, "identity:get_role")
    with ident(request).read() as s:
        return member("role", role_view(request, svc.get_role(s, request.path_params["role_id"])))


@router.patch("/v3/roles/{role_id}")
async def update_role(request: Request) -> Response:
    enforce(request, "identity:update_role")
    role_id = request.path_params["role_id"]
    data = sch.entity(await body(request), "role")
    if "id" in data and data["id"] != role_id:
        raise BadRequest("Cannot change ID")
    with ident(request).write() as s:
        role = svc.update_role(s, svc.get_role(s, role_id), data)
        return member("role", role_view(request, role))


@router.delete("/v3/roles/{role_id}")
async def delete_role(request: Request) -> Response:
    enforce(request, "identity:delete_role")
    with ident(request).write() as s:
        svc.delete_role(s, svc.get_role(s, request.path_params["role_id"]))
    return empty_response()


# --- implied roles ------------------------------------------------------------------------------


def _brief(request: Request, r: m.Role) -> dict[str, Any]:
    return {"id": r.id, "links": self_link(request, f"/v3/roles/{r.id}"), "name": r.name}


def _inference(request: Request, s: Session, prior_id: str, implied_id: str) -> dict[str, Any]:
    prior, implied = svc.get_role(s, prior_id), svc.get_role(s, implied_id)
    return {
        "role_inference": {"prior_role": _brief(request, prior),
                           "implies": _brief(request, implied)},
        "links": {"self": url(request, f"/v3/roles/{prior_id}/implies/{implied_id}")},
    }


@router.get("/v3/roles/{prior_id}/implies")
async def list_implied(request: Request) -> Response:
    enforce(request, "identity:get_implied_roles")
    prior_id = request.path_params["prior_id"]
    with ident(request).read() as s:
        prior = svc.get_role(s, prior_id)
        implied = [_brief(request, r) for r in svc.implied_by(s, prior_id)]
        return json_response({
            "role_inference": {"prior_role": _brief(request, prior), "implies": implied},
            "links": {"self": url(request, f"/v3/roles/{prior_id}/implies")},
        })


@router.put("/v3/roles/{prior_id}/implies/{implied_id}")
async def create_implied(request: Request) -> Response:
    enforce(request, "identity:implied_roles")
    prior_id, implied_id = request.path_params["prior_id"], request.path_params["implied_id"]
    with ident(request).write() as s:
        svc.create_implied(s, prior_id, implied_id)
        return json_response(_inference(request, s, prior_id, implied_id), status=201)


@router.get("/v3/roles/{prior_id}/implies/{implied_id}")
async def get_implied(request: Request) -> Response:
    enforce(request, "identity:get_implied_roles")
    prior_id, implied_id = request.path_params["prior_id"], request.path_params["implied_id"]
    with ident(request).read() as s:
        svc.get_implied(s, prior_id, implied_id)
        return json_response(_inference(request, s, prior_id, implied_id))


@router.head("/v3/roles/{prior_id}/implies/{implied_id}")
async def check_implied(request: Request) -> Response:
    # Keystone answers this HEAD with 204, not with GET's 200.
    enforce(request, "identity:get_implied_roles")
    with ident(request).read() as s:
        svc.get_implied(s, request.path_params["prior_id"], request.path_params["implied_id"])
    return empty_response()


@router.delete("/v3/roles/{prior_id}/implies/{implied_id}")
async def delete_implied(request: Request) -> Response:
    enforce(request, "identity:implied_roles")
    with ident(request).write() as s:
        svc.delete_implied(s, request.path_params["prior_id"], request.path_params["implied_id"])
    return empty_response()


@router.get("/v3/role_inferences")
async def list_inferences(request: Request) -> Response:
    enforce(request, "identity:list_role_inference_rules")
    with ident(request).read() as s:
        items = [
            {"prior_role": _brief(request, prior),
             "implies": [_brief(request, r) for r in implied]}
            for prior, implied in svc.inference_rules(s)
        ]
    return collection(request, "role_inferences", items)
