"""/v3/users/{user_id}/application_credentials and /v3/users/{user_id}/access_rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import BadRequest, Forbidden
from runtime.common.web import ApiRouter, context, empty_response
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.api.common import body, collection, enforce, ident, member, self_link
from runtime.identity.api.trusts import role_view
from runtime.identity.passwords import hash_password
from runtime.identity.service import Identity, assignments, validation
from runtime.identity.service import application_credentials as svc
from runtime.identity.service.listing import apply_filters

router = ApiRouter()


def _expiry(ac: m.ApplicationCredential) -> str | None:
    # Keystone renders this one naive, with microseconds (Tempest compares it so).
    if ac.expires_at is None:
        return None
    return ac.expires_at.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%f")


def rule_view(rule: m.AccessRule) -> dict[str, Any]:
    return {"id": rule.id, "service": rule.service, "path": rule.path, "method": rule.method}


def app_cred_view(request: Request, s: Session, ac: m.ApplicationCredential,
                  secret: str | None = None) -> dict[str, Any]:
    roles = [r for r in (s.get(m.Role, ref["id"]) for ref in ac.roles) if r is not None]
    view: dict[str, Any] = {
        "id": ac.id,
        "name": ac.name,
        "description": ac.description,
        "expires_at": _expiry(ac),
        "project_id": ac.project_id,
        "roles": [role_view(request, r) for r in roles],
        "unrestricted": ac.unrestricted,
        "access_rules": [rule_view(r) for r in svc.access_rules_of(s, ac)],
        "links": self_link(request, f"/v3/users/{ac.user_id}/application_credentials/{ac.id}"),
    }
    if secret is not None:
        view["secret"] = secret  # shown once, at creation; only its hash is kept
    return view


def _check_unrestricted(ctx: Context) -> None:
    if ctx.token_data.get("app_cred_id") and not ctx.token_data.get("unrestricted"):
        raise Forbidden("You are not authorized to perform the requested action: Using "
                        "method 'application_credential' is not allowed for managing "
                        "additional application credentials.")


def _create(request: Request, ident_: Identity, ctx: Context, data: dict[str, Any]
            ) -> dict[str, Any]:
    """Runs in a worker thread: the secret's bcrypt hash takes a while."""
    assert ctx.user_id is not None and ctx.token is not None
    if ctx.domain_id is not None:
        raise BadRequest("Application credentials are made with a project-scoped or "
                         "system-scoped token.")
    token_roles = validation.validate(ident_, ctx.token).body.get("roles", [])
    secret = svc.secret_of(data)
    secret_hash = hash_password(secret, ident_.settings.bcrypt_rounds)
    with ident_.write() as s:
        if ctx.project_id is not None:
            held = assignments.direct_role_ids(s, ctx.user_id, project_id=ctx.project_id)
        else:
            held = assignments.direct_role_ids(s, ctx.user_id, system=ctx.system_scope)
        ac = svc.create_app_cred(
            s, data, user_id=ctx.user_id, project_id=ctx.project_id,
            system=ctx.system_scope, token_role_ids=[r["id"] for r in token_roles],
            held_role_ids=assignments.implied_closure(s, held),
            secret_hash=secret_hash,
        )
        return app_cred_view(request, s, ac, secret)


@router.post("/v3/users/{user_id}/application_credentials")
async def create_app_cred(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    ctx = enforce(request, "identity:application_credentials", {"user_id": user_id})
    data = sch.entity(await body(request), "application_credential")
    _check_unrestricted(ctx)
    if ctx.user_id != user_id:
        raise Forbidden("You are not authorized to perform the requested action: Cannot "
                        "create an application credential for another user.")
    view = await run_in_threadpool(_create, request, ident(request), ctx, data)
    return member("application_credential", view, 201)


@router.get("/v3/users/{user_id}/application_credentials")
async def list_app_creds(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    enforce(request, "identity:application_credentials", {"user_id": user_id})
    with ident(request).read() as s:
        found = svc.list_app_creds(s, user_id, request.query_params.get("name"))
        items = [app_cred_view(request, s, ac) for ac in found]
    return collection(request, "application_credentials", items)


def _app_cred(request: Request, s: Session) -> m.ApplicationCredential:
    user_id = request.path_params["user_id"]
    enforce(request, "identity:application_credentials", {"user_id": user_id})
    return svc.get_app_cred(s, user_id, request.path_params["app_cred_id"])


@router.get("/v3/users/{user_id}/application_credentials/{app_cred_id}")
async def get_app_cred(request: Request) -> Response:
    with ident(request).read() as s:
        return member("application_credential", app_cred_view(request, s, _app_cred(request, s)))


@router.delete("/v3/users/{user_id}/application_credentials/{app_cred_id}")
async def delete_app_cred(request: Request) -> Response:
    with ident(request).write() as s:
        ac = _app_cred(request, s)
        _check_unrestricted(context(request))
        # Its tokens go with it: validation finds no credential behind them.
        s.delete(ac)
    return empty_response()


# --- access rules ---------------------------------------------------------------------------


def access_rule_view(request: Request, rule: m.AccessRule) -> dict[str, Any]:
    return {**rule_view(rule),
            "links": self_link(request, f"/v3/users/{rule.user_id}/access_rules/{rule.id}")}


@router.get("/v3/users/{user_id}/access_rules")
async def list_access_rules(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    enforce(request, "identity:access_rules", {"user_id": user_id})
    with ident(request).read() as s:
        items = [access_rule_view(request, r) for r in svc.list_access_rules(s, user_id)]
    items = apply_filters(items, request.query_params, ("service", "path", "method"))
    return collection(request, "access_rules", items)


def _access_rule(request: Request, s: Session) -> m.AccessRule:
    user_id = request.path_params["user_id"]
    enforce(request, "identity:access_rules", {"user_id": user_id})
    return svc.get_access_rule(s, user_id, request.path_params["rule_id"])


@router.get("/v3/users/{user_id}/access_rules/{rule_id}")
async def get_access_rule(request: Request) -> Response:
    with ident(request).read() as s:
        return member("access_rule", access_rule_view(request, _access_rule(request, s)))


@router.delete("/v3/users/{user_id}/access_rules/{rule_id}")
async def delete_access_rule(request: Request) -> Response:
    with ident(request).write() as s:
        svc.delete_access_rule(s, _access_rule(request, s))
    return empty_response()
