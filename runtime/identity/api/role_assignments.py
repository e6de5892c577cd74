"""GET /v3/role_assignments, in Keystone's shape: each assignment links to the grant
it comes from (and to the group membership or prior role that carried it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest
from runtime.common.web import ApiRouter
from runtime.identity import models as m
from runtime.identity.api.common import collection, enforce, ident, url
from runtime.identity.service.role_assignments import Query, Ref, list_role_assignments

router = ApiRouter()

INHERITED_TO = "scope.OS-INHERIT:inherited_to"


def _flag(q: QueryParams, name: str) -> bool:
    """Keystone's key-only flags: present means true, unless the value says otherwise."""
    return name in q and q[name].strip().lower() not in ("0", "false")


def _query(q: QueryParams) -> Query:
    project_id, domain_id = q.get("scope.project.id"), q.get("scope.domain.id")
    system = "scope.system" in q
    user_id, group_id = q.get("user.id"), q.get("group.id")
    if domain_id and project_id:
        raise BadRequest("Specify a domain or project, not both")
    if system and domain_id:
        raise BadRequest("Specify system or domain, not both")
    if system and project_id:
        raise BadRequest("Specify system or project, not both")
    if user_id and group_id:
        raise BadRequest("Specify a user or group, not both")
    inherited = q[INHERITED_TO] == "projects" if INHERITED_TO in q else None
    effective = _flag(q, "effective")
    if effective and group_id:
        raise BadRequest("Combining effective and group filter will always result in an "
                         "empty list.")
    if effective and inherited and domain_id:
        raise BadRequest("Combining effective, domain and inherited filters will always "
                         "result in an empty list.")
    include_subtree = _flag(q, "include_subtree")
    if include_subtree and not project_id:
        raise BadRequest("scope.project.id must be specified if include_subtree is also "
                         "specified")
    return Query(
        role_id=q.get("role.id") or None, user_id=user_id or None, group_id=group_id or None,
        project_id=project_id or None, domain_id=domain_id or None,
        # Keystone only knows one system, "all"; any other value filters nothing.
        system=q.get("scope.system") == "all", include_subtree=include_subtree,
        inherited=inherited, effective=effective,
    )


class _Names:
    """Names for include_names, each looked up once per request."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.cache: dict[tuple[type[Any], str], Any] = {}

    def _get(self, model: type[Any], id_: str) -> Any:
        key = (model, id_)
        if key not in self.cache:
            self.cache[key] = self.s.get(model, id_)
        return self.cache[key]

    def domain(self, domain_id: str) -> dict[str, Any]:
        d = self._get(m.Project, domain_id)
        return {"id": domain_id, "name": d.name if d is not None else ""}

    def owned(self, model: type[Any], id_: str) -> dict[str, Any]:
        """A user, group or project: its name and its domain's."""
        obj = self._get(model, id_)
        if obj is None:  # a grant left behind by a deleted actor, as Keystone shows it
            return {"id": id_, "name": "", "domain": {"id": "", "name": ""}}
        return {"id": id_, "name": obj.name, "domain": self.domain(obj.domain_id)}

    def role(self, role_id: str) -> dict[str, Any]:
        r = self._get(m.Role, role_id)
        view: dict[str, Any] = {"id": role_id, "name": r.name if r is not None else ""}
        if r is not None and r.domain_id is not None:
            view["domain"] = self.domain(r.domain_id)
        return view


def assignment_view(request: Request, ref: Ref, names: _Names | None) -> dict[str, Any]:
    view: dict[str, Any] = {"links": {}}
    inherited = ref.inherited
    if ref.project_id is not None:
        view["scope"] = {"project": names.owned(m.Project, ref.project_id) if names
                         else {"id": ref.project_id}}
        if ref.via_domain is not None:
            inherited, link = True, f"/domains/{ref.via_domain}"
        elif ref.via_project is not None:
            inherited, link = True, f"/projects/{ref.via_project}"
        else:
            link = f"/projects/{ref.project_id}"
    elif ref.domain_id is not None:
        view["scope"] = {"domain": names.domain(ref.domain_id) if names
                         else {"id": ref.domain_id}}
        link = f"/domains/{ref.domain_id}"
    else:
        view["scope"] = {"system": {"all": True}}
        link = "/system"
    if ref.user_id is not None:
        view["user"] = names.owned(m.User, ref.user_id) if names else {"id": ref.user_id}
        if ref.via_group is not None:
            view["links"]["membership"] = url(
                request, f"/v3/groups/{ref.via_group}/users/{ref.user_id}")
            link += f"/groups/{ref.via_group}"
        else:
            link += f"/users/{ref.user_id}"
    else:
        assert ref.group_id is not None
        view["group"] = names.owned(m.Group, ref.group_id) if names else {"id": ref.group_id}
        link += f"/groups/{ref.group_id}"
    view["role"] = names.role(ref.role_id) if names else {"id": ref.role_id}
    # The grant behind an implied role is the grant of the role that implied it.
    link += f"/roles/{ref.via_role or ref.role_id}"
    if inherited:
        view["scope"]["OS-INHERIT:inherited_to"] = "projects"
        link = f"/OS-INHERIT{link}/inherited_to_projects"
    view["links"]["assignment"] = url(request, "/v3" + link)
    if ref.via_role is not None:
        view["links"]["prior_role"] = url(
            request, f"/v3/roles/{ref.via_role}/implies/{ref.role_id}")
    return view


@router.get("/v3/role_assignments")
async def list_assignments(request: Request) -> Response:
    enforce(request, "identity:list_role_assignments")
    q = request.query_params
    query = _query(q)
    with ident(request).read() as s:
        refs = list_role_assignments(s, query)
        names = _Names(s) if _flag(q, "include_names") else None
        items = [assignment_view(request, ref, names) for ref in refs]
    return collection(request, "role_assignments", items)
