"""/v3/OS-TRUST/trusts: delegation of a trustor's roles on a project to a trustee."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import Forbidden, NotFound
from runtime.common.web import ApiRouter, context, empty_response, json_response
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.api.common import body, collection, enforce, ident, member, self_link
from runtime.identity.service import trusts as svc
from runtime.identity.service.validation import iso

router = ApiRouter()


def role_view(request: Request, role: m.Role) -> dict[str, Any]:
    """A role as delegation APIs show it (trusts, application credentials)."""
    return {
        **role.extra,
        "id": role.id,
        "name": role.name,
        "domain_id": role.domain_id,
        "description": role.description,
        "options": role.options or {},
        "links": self_link(request, f"/v3/roles/{role.id}"),
    }


def _roles(s: Session, trust: m.Trust) -> list[m.Role]:
    # A role deleted since the trust was made simply drops out, as in Keystone.
    return [r for r in (s.get(m.Role, ref["id"]) for ref in trust.roles) if r is not None]


def trust_view(request: Request, s: Session, trust: m.Trust, *,
               with_roles: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        **trust.extra,
        "id": trust.id,
        "trustor_user_id": trust.trustor_user_id,
        "trustee_user_id": trust.trustee_user_id,
        "project_id": trust.project_id,
        "impersonation": trust.impersonation,
        "expires_at": iso(trust.expires_at),
        "remaining_uses": trust.remaining_uses,
        "redelegated_trust_id": trust.redelegated_trust_id,
        "redelegation_count": trust.redelegation_count,
        "links": self_link(request, f"/v3/OS-TRUST/trusts/{trust.id}"),
    }
    if with_roles:
        view["roles"] = [role_view(request, r) for r in _roles(s, trust)]
        view["roles_links"] = {**self_link(request, f"/v3/OS-TRUST/trusts/{trust.id}/roles"),
                               "next": None, "previous": None}
    return view


def _check_unrestricted(ctx: Context) -> None:
    if ctx.token_data.get("app_cred_id") and not ctx.token_data.get("unrestricted"):
        raise Forbidden("You are not authorized to perform the requested action: Using "
                        "method 'application_credential' is not allowed for managing "
                        "trusts.")


@router.post("/v3/OS-TRUST/trusts")
async def create_trust(request: Request) -> Response:
    data = sch.entity(await body(request), "trust")
    ctx = enforce(request, "identity:create_trust",
                  {"trustor_user_id": data.get("trustor_user_id")})
    _check_unrestricted(ctx)
    assert ctx.user_id is not None
    with ident(request).write() as s:
        # A trustee holding a trust-scoped token can only pass that trust on.
        parent_id = ctx.token_data.get("trust_id")
        parent = svc.get_trust(s, parent_id) if parent_id else None
        trust = svc.create_trust(s, ctx.user_id, data, parent)
        return member("trust", trust_view(request, s, trust), 201)


def _list_trusts(request: Request) -> Response:
    q = request.query_params
    trustor_id, trustee_id = q.get("trustor_user_id"), q.get("trustee_user_id")
    if trustor_id:
        enforce(request, "identity:list_trusts_for_trustor", {"trustor_user_id": trustor_id})
    elif trustee_id:
        enforce(request, "identity:list_trusts_for_trustee", {"trustee_user_id": trustee_id})
    else:
        enforce(request, "identity:list_trusts")
    with ident(request).read() as s:
        found = svc.list_trusts(s, trustor_id or None, trustee_id or None)
        items = [trust_view(request, s, t, with_roles=False) for t in found]
    return collection(request, "trusts", items)


@router.get("/v3/OS-TRUST/trusts")
async def list_trusts(request: Request) -> Response:
    return _list_trusts(request)


# Tempest's trusts client lists with a trailing slash; answer it rather than redirect.
@router.get("/v3/OS-TRUST/trusts/")
async def list_trusts_slash(request: Request) -> Response:
    return _list_trusts(request)


def _trust_for(request: Request, s: Session, action: str) -> m.Trust:
    # A missing trust is a 404 before any policy check, as in Keystone (lp#1840288).
    trust = svc.get_trust(s, request.path_params["trust_id"])
    enforce(request, action, {"trustor_user_id": trust.trustor_user_id,
                              "trustee_user_id": trust.trustee_user_id})
    return trust


@router.get("/v3/OS-TRUST/trusts/{trust_id}")
async def get_trust(request: Request) -> Response:
    with ident(request).read() as s:
        trust = _trust_for(request, s, "identity:get_trust")
        return member("trust", trust_view(request, s, trust))


@router.delete("/v3/OS-TRUST/trusts/{trust_id}")
async def delete_trust(request: Request) -> Response:
    i = ident(request)
    with i.write() as s:
        trust = _trust_for(request, s, "identity:delete_trust")
        _check_unrestricted(context(request))
        svc.delete_trust(s, trust, i.settings.token_expiration)
    return empty_response()


@router.get("/v3/OS-TRUST/trusts/{trust_id}/roles")
async def list_trust_roles(request: Request) -> Response:
    with ident(request).read() as s:
        trust = _trust_for(request, s, "identity:trust_roles")
        roles = [role_view(request, r) for r in _roles(s, trust)]
    links = {**self_link(request, f"/v3/OS-TRUST/trusts/{trust.id}/roles"),
             "next": None, "previous": None}
    return json_response({"roles": roles, "links": links})


def _trust_role(request: Request) -> dict[str, Any]:
    role_id = request.path_params["role_id"]
    with ident(request).read() as s:
        trust = _trust_for(request, s, "identity:trust_roles")
        role = next((r for r in _roles(s, trust) if r.id == role_id), None)
        if role is None:
            raise NotFound(f"Could not find role: {role_id}.")
        return role_view(request, role)


@router.get("/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}")
async def get_trust_role(request: Request) -> Response:
    return member("role", _trust_role(request))


@router.head("/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}")
async def check_trust_role(request: Request) -> Response:
    _trust_role(request)
    return empty_response(200)
