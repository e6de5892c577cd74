"""/v3/users: users, their password, their projects and their groups.

Groups live in :mod:`runtime.identity.api.groups`, whose routes this router includes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest
from runtime.common.web import ApiRouter, empty_response
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.api import groups
from runtime.identity.api.common import body, collection, enforce, ident, member, self_link
from runtime.identity.api.projects import project_view
from runtime.identity.passwords import hash_password
from runtime.identity.service import assignments, compliance, revocations
from runtime.identity.service import groups as groups_svc
from runtime.identity.service import users as svc
from runtime.identity.service.core import DEFAULT_DOMAIN_ID
from runtime.identity.service.listing import apply_filters

router = ApiRouter()
router.include(groups.router)

# Filters of federated users: a local user has no identity provider, so none matches.
_FEDERATED_FILTERS = ("idp_id", "protocol_id", "unique_id")


def user_view(request: Request, u: m.User) -> dict[str, Any]:
    view: dict[str, Any] = {
        **u.extra,
        "id": u.id,
        "name": u.name,
        "domain_id": u.domain_id,
        # An inactive user (disable_user_account_days_inactive) shows as disabled.
        "enabled": compliance.effectively_enabled(
            ident(request).settings.security_compliance, u),
        "password_expires_at": svc.iso(u.password_expires_at),
        "options": dict(u.options or {}),
        "links": self_link(request, f"/v3/users/{u.id}"),
    }
    # Keystone leaves default_project_id out rather than showing null.
    if u.default_project_id:
        view["default_project_id"] = u.default_project_id
    return view


def user_list(request: Request, users: list[m.User]) -> list[dict[str, Any]]:
    """The views of ``users`` that match the request's user filters."""
    q = request.query_params
    if any(f in q for f in _FEDERATED_FILTERS):
        return []
    items = [user_view(request, u) for u in svc.expiry_filter(users, q)]
    return apply_filters(items, q, ("name", "enabled", "domain_id"))


async def _hashed(request: Request, data: dict[str, Any]) -> str | None:
    """The body's password hashed, off the event loop (bcrypt is slow on purpose)."""
    password = svc.password_field(data)
    if password is None:
        return None
    return await run_in_threadpool(hash_password, password, ident(request).settings.bcrypt_rounds)


@router.get("/v3/users")
async def list_users(request: Request) -> Response:
    ctx = enforce(request, "identity:list_users")
    q = request.query_params
    with ident(request).read() as s:
        stmt = select(m.User).order_by(m.User.name)
        # A domain-scoped caller sees the users of that domain only, as in Keystone.
        if ctx.domain_id:
            stmt = stmt.where(m.User.domain_id == ctx.domain_id)
        if q.get("domain_id"):
            stmt = stmt.where(m.User.domain_id == q["domain_id"])
        if q.get("name"):
            stmt = stmt.where(m.User.name == q["name"])
        items = user_list(request, list(s.scalars(stmt)))
    return collection(request, "users", items)


@router.post("/v3/users")
async def create_user(request: Request) -> Response:
    ctx = enforce(request, "identity:create_user")
    data = sch.entity(await body(request), "user")
    svc.check_user_body(data, create=True)
    sc = ident(request).settings.security_compliance
    svc.check_new_password(data, sc)
    hashed = await _hashed(request, data)
    default_domain = ctx.domain_id or ctx.project_domain_id or DEFAULT_DOMAIN_ID
    with ident(request).write() as s:
        user = svc.create_user(s, data, default_domain, hashed, sc)
        return member("user", user_view(request, user), 201)


@router.get("/v3/users/{user_id}")
async def get_user(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    enforce(request, "identity:get_user", {"user_id": user_id})
    with ident(request).read() as s:
        return member("user", user_view(request, svc.get_user(s, user_id)))


@router.patch("/v3/users/{user_id}")
async def update_user(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    enforce(request, "identity:update_user", {"user_id": user_id})
    data = sch.entity(await body(request), "user")
    svc.check_user_body(data, create=False)
    i = ident(request)
    with i.read() as s:
        svc.get_user(s, user_id)  # 404 before spending a hash
    svc.check_new_password(data, i.settings.security_compliance)
    hashed = await _hashed(request, data)
    with i.write() as s:
        user = svc.get_user(s, user_id)
        if svc.update_user(s, user, data, i.settings.security_compliance, hashed):
            revocations.revoke_user(s, user.id, i.settings.token_expiration)
        return member("user", user_view(request, user))


@router.delete("/v3/users/{user_id}")
async def delete_user(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    enforce(request, "identity:delete_user", {"user_id": user_id})
    i = ident(request)
    with i.write() as s:
        svc.delete_user(s, svc.get_user(s, user_id), i.settings.token_expiration)
    return empty_response()


@router.post("/v3/users/{user_id}/password")
async def change_password(request: Request) -> Response:
    # No policy check, as in Keystone: the original password is the credential, and a
    # user whose password has expired has no token to show.
    raw = await body(request)
    data = raw.get("user", {}) if isinstance(raw, dict) else None
    if not isinstance(data, dict):
        raise BadRequest("Expecting to find user in request body.")
    for key in ("original_password", "password"):
        sch.string(data, key, required=True, max_len=4096)
    unknown = sorted(set(data) - {"original_password", "password"})
    if unknown:
        raise BadRequest(f"Additional properties are not allowed ({', '.join(unknown)} "
                         "were unexpected)")
    await run_in_threadpool(svc.change_password, ident(request), request.path_params["user_id"],
                            data["original_password"], data["password"])
    return empty_response()


@router.get("/v3/users/{user_id}/projects")
async def list_user_projects(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    enforce(request, "identity:list_user_projects", {"user_id": user_id})
    with ident(request).read() as s:
        ids = assignments.projects_with_roles(s, user_id)
        projects = s.scalars(select(m.Project).where(
            m.Project.id.in_(ids), m.Project.is_domain.is_(False)).order_by(m.Project.name))
        items = [project_view(request, s, p) for p in projects]
    items = apply_filters(items, request.query_params, ("domain_id", "enabled", "name"))
    return collection(request, "projects", items)


@router.get("/v3/users/{user_id}/groups")
async def list_user_groups(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    ctx = enforce(request, "identity:list_groups_for_user", {"user_id": user_id})
    with ident(request).read() as s:
        svc.get_user(s, user_id)
        found = groups_svc.groups_of(s, user_id)
        items = [groups.group_view(request, g) for g in found
                 if not ctx.domain_id or g.domain_id == ctx.domain_id]
    items = apply_filters(items, request.query_params, ("name",))
    return collection(request, "groups", items)


@router.get("/v3/groups/{group_id}/users")
async def list_group_users(request: Request) -> Response:
    group_id = request.path_params["group_id"]
    enforce(request, "identity:list_users_in_group", {"group_id": group_id})
    with ident(request).read() as s:
        groups_svc.get_group(s, group_id)
        items = user_list(request, groups_svc.members(s, group_id))
    return collection(request, "users", items)
