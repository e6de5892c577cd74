"""Role grants on projects, domains and the system, and their OS-INHERIT forms.

Every grant URL has the same four verbs (PUT grants, GET/HEAD checks, DELETE revokes,
all answering 204) plus a list of the roles granted; the tables below generate them
for each (target, actor, inherited) combination instead of spelling out 44 handlers.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response
from runtime.identity.api.common import collection, enforce, ident
from runtime.identity.api.roles import role_view
from runtime.identity.service import assignments as svc

router = ApiRouter()


def _target_id(request: Request, target: svc.TargetKind) -> str:
    if target == "system":
        return svc.SYSTEM_ALL
    return str(request.path_params["target_id"])


def _register(prefix: str, suffix: str, target: svc.TargetKind, actor: svc.Actor,
              inherited: bool) -> None:
    one = f"{prefix}/{actor}s/{{actor_id}}/roles/{{role_id}}{suffix}"
    many = f"{prefix}/{actor}s/{{actor_id}}/roles{suffix}"

    def args(request: Request) -> tuple[svc.Actor, str, svc.TargetKind, str, str]:
        p = request.path_params
        return actor, p["actor_id"], target, _target_id(request, target), p["role_id"]

    async def grant(request: Request) -> Response:
        enforce(request, "identity:grants")
        with ident(request).write() as s:
            svc.create_grant(s, *args(request), inherited=inherited)
        return empty_response()

    async def check(request: Request) -> Response:
        enforce(request, "identity:check_grants")
        with ident(request).read() as s:
            svc.check_grant(s, *args(request), inherited=inherited)
        return empty_response()

    async def revoke(request: Request) -> Response:
        enforce(request, "identity:grants")
        with ident(request).write() as s:
            svc.delete_grant(s, *args(request), inherited=inherited)
        return empty_response()

    async def list_granted(request: Request) -> Response:
        enforce(request, "identity:check_grants")
        actor_id = request.path_params["actor_id"]
        with ident(request).read() as s:
            roles = svc.list_grants(s, actor, actor_id, target, _target_id(request, target),
                                    inherited=inherited)
            items = [role_view(request, r) for r in roles]
        return collection(request, "roles", items)

    router.put(one)(grant)
    router.get(one)(check)
    router.delete(one)(revoke)
    router.get(many)(list_granted)


_ACTORS: tuple[svc.Actor, ...] = ("user", "group")
for _actor in _ACTORS:
    _register("/v3/projects/{target_id}", "", "project", _actor, False)
    _register("/v3/domains/{target_id}", "", "domain", _actor, False)
    _register("/v3/system", "", "system", _actor, False)
    _register("/v3/OS-INHERIT/domains/{target_id}", "/inherited_to_projects", "domain",
              _actor, True)
    _register("/v3/OS-INHERIT/projects/{target_id}", "/inherited_to_projects", "project",
              _actor, True)
