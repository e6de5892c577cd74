"""Domains, projects and project tags."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest, NotFound
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.api.common import body, collection, enforce, ident, member, self_link
from runtime.identity.service import projects as svc
from runtime.identity.service.core import DEFAULT_DOMAIN_ID
from runtime.identity.service.listing import apply_filters

router = ApiRouter()


def project_view(request: Request, s: Session, p: m.Project, *,
                 as_project: bool = False) -> dict[str, Any]:
    """A domain in the domain API's shape, unless ``as_project``: the projects API shows
    a domain as the project it is (is_domain true, no domain or parent), as Keystone."""
    as_project = as_project or not p.is_domain
    kind = "projects" if as_project else "domains"
    view: dict[str, Any] = {
        **p.extra,
        "id": p.id,
        "name": p.name,
        "description": p.description or "",
        "enabled": p.enabled,
        "tags": svc.tags_of(s, p.id),
        "options": p.options or {},
        "links": self_link(request, f"/v3/{kind}/{p.id}"),
    }
    if as_project:
        view.update(domain_id=p.domain_id, parent_id=p.parent_id, is_domain=p.is_domain)
    return view


def _tag_filter(s: Session, items: list[dict[str, Any]], query: Any) -> list[dict[str, Any]]:
    def split(name: str) -> list[str] | None:
        raw = query.get(name)
        return raw.split(",") if raw else None

    all_tags, any_tags = split("tags"), split("tags-any")
    not_all, not_any = split("not-tags"), split("not-tags-any")
    out = []
    for item in items:
        have = set(item["tags"])
        if all_tags and not set(all_tags) <= have:
            continue
        if any_tags and not set(any_tags) & have:
            continue
        if not_all and set(not_all) <= have:
            continue
        if not_any and set(not_any) & have:
            continue
        out.append(item)
    return out


# --- domains ----------------------------------------------------------------------------


@router.get("/v3/domains")
async def list_domains(request: Request) -> Response:
    enforce(request, "identity:list_domains")
    with ident(request).read() as s:
        domains = s.scalars(select(m.Project).where(m.Project.is_domain.is_(True)))
        items = [project_view(request, s, d) for d in domains]
    items = apply_filters(items, request.query_params, ("name", "enabled"))
    return collection(request, "domains", _tag_filter(s, items, request.query_params))


@router.post("/v3/domains")
async def create_domain(request: Request) -> Response:
    enforce(request, "identity:create_domain")
    data = sch.entity(await body(request), "domain")
    with ident(request).write() as s:
        d = svc.create_domain(s, data)
        return member("domain", project_view(request, s, d), 201)


@router.get("/v3/domains/{domain_id}")
async def get_domain(request: Request) -> Response:
    domain_id = request.path_params["domain_id"]
    enforce(request, "identity:get_domain", {"domain_id": domain_id})
    with ident(request).read() as s:
        return member("domain", project_view(request, s, svc.get_domain(s, domain_id)))


@router.patch("/v3/domains/{domain_id}")
async def update_domain(request: Request) -> Response:
    enforce(request, "identity:update_domain")
    data = sch.entity(await body(request), "domain")
    with ident(request).write() as s:
        d = svc.update(s, svc.get_domain(s, request.path_params["domain_id"]), data)
        return member("domain", project_view(request, s, d))


@router.delete("/v3/domains/{domain_id}")
async def delete_domain(request: Request) -> Response:
    enforce(request, "identity:delete_domain")
    with ident(request).write() as s:
        svc.delete_domain(s, svc.get_domain(s, request.path_params["domain_id"]))
    return empty_response()


# --- projects ---------------------------------------------------------------------------


@router.get("/v3/projects")
async def list_projects(request: Request) -> Response:
    enforce(request, "identity:list_projects")
    q = request.query_params
    with ident(request).read() as s:
        stmt = select(m.Project)
        is_domain = q.get("is_domain", "false").lower() == "true"
        stmt = stmt.where(m.Project.is_domain.is_(is_domain))
        items = [project_view(request, s, p, as_project=True) for p in s.scalars(stmt)]
    items = apply_filters(items, q, ("name", "enabled", "domain_id", "parent_id"))
    return collection(request, "projects", _tag_filter(s, items, q))


@router.post("/v3/projects")
async def create_project(request: Request) -> Response:
    ctx = enforce(request, "identity:create_project")
    data = sch.entity(await body(request), "project")
    default_domain = ctx.domain_id or ctx.project_domain_id or DEFAULT_DOMAIN_ID
    with ident(request).write() as s:
        p = svc.create_project(s, data, default_domain)
        return member("project", project_view(request, s, p, as_project=True), 201)


def _hierarchy(request: Request, s: Session, p: m.Project, view: dict[str, Any]) -> None:
    q = request.query_params
    if "parents_as_list" in q:
        view["parents"] = [{"project": project_view(request, s, a)} for a in svc.ancestors(s, p)]
    if "subtree_as_list" in q:
        view["subtree"] = [{"project": project_view(request, s, c)} for c in svc.subtree(s, p.id)]
    if "parents_as_ids" in q:
        ids: dict[str, Any] | None = None
        for a in svc.ancestors(s, p):
            ids = {a.id: ids}
        view["parents"] = ids
    if "subtree_as_ids" in q:
        def tree(pid: str) -> dict[str, Any] | None:
            kids = svc.children(s, pid)
            return {k.id: tree(k.id) for k in kids} or None
        view["subtree"] = tree(p.id)


@router.get("/v3/projects/{project_id}")
async def get_project(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    enforce(request, "identity:get_project", {"project_id": project_id})
    with ident(request).read() as s:
        p = svc.get_project_or_domain(s, project_id)
        view = project_view(request, s, p, as_project=True)
        _hierarchy(request, s, p, view)
        return member("project", view)


@router.patch("/v3/projects/{project_id}")
async def update_project(request: Request) -> Response:
    enforce(request, "identity:update_project")
    data = sch.entity(await body(request), "project")
    with ident(request).write() as s:
        p = svc.get_project_or_domain(s, request.path_params["project_id"])
        p = svc.update(s, p, data)
        return member("project", project_view(request, s, p, as_project=True))


@router.delete("/v3/projects/{project_id}")
async def delete_project(request: Request) -> Response:
    enforce(request, "identity:delete_project")
    with ident(request).write() as s:
        p = svc.get_project_or_domain(s, request.path_params["project_id"])
        # Deleting a domain through the projects API is deleting the domain.
        if p.is_domain:
            svc.delete_domain(s, p)
        else:
            svc.delete_project(s, p)
    return empty_response()


# --- project tags -----------------------------------------------------------------------


def _full_url(request: Request) -> str:
    return ident(request).public_url + request.url.path


def _tags_response(request: Request, tags: list[str]) -> Response:
    return json_response({"tags": tags, "links": {"self": _full_url(request)}})


@router.get("/v3/projects/{project_id}/tags")
async def list_tags(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    enforce(request, "identity:project_tags", {"project_id": project_id})
    with ident(request).read() as s:
        svc.get_project(s, project_id)
        return _tags_response(request, svc.tags_of(s, project_id))


@router.put("/v3/projects/{project_id}/tags")
async def replace_tags(request: Request) -> Response:
    enforce(request, "identity:update_project_tags")
    data = await body(request)
    if not isinstance(data, dict) or "tags" not in data:
        raise BadRequest("'tags' is a required property")
    tags = sch.tags(data) or []
    with ident(request).write() as s:
        p = svc.get_project(s, request.path_params["project_id"])
        svc.set_tags(s, p.id, tags)
        s.flush()
        return _tags_response(request, svc.tags_of(s, p.id))


@router.delete("/v3/projects/{project_id}/tags")
async def clear_tags(request: Request) -> Response:
    enforce(request, "identity:update_project_tags")
    with ident(request).write() as s:
        p = svc.get_project(s, request.path_params["project_id"])
        svc.set_tags(s, p.id, [])
    return empty_response()


@router.get("/v3/projects/{project_id}/tags/{tag}")
async def check_tag(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    enforce(request, "identity:project_tags", {"project_id": project_id})
    with ident(request).read() as s:
        svc.get_project(s, project_id)
        if request.path_params["tag"] not in svc.tags_of(s, project_id):
            raise NotFound(f"Could not find project tag: {request.path_params['tag']}.")
    return empty_response()


@router.put("/v3/projects/{project_id}/tags/{tag}")
async def add_tag(request: Request) -> Response:
    enforce(request, "identity:update_project_tags")
    tag = sch.check_tag(request.path_params["tag"])
    with ident(request).write() as s:
        p = svc.get_project(s, request.path_params["project_id"])
        current = svc.tags_of(s, p.id)
        if tag not in current:
            if len(current) >= 80:
                raise BadRequest("A project can have at most 80 tags.")
            s.add(m.ProjectTag(project_id=p.id, name=tag))
    return empty_response(201, headers={"Location": _full_url(request)})


@router.delete("/v3/projects/{project_id}/tags/{tag}")
async def remove_tag(request: Request) -> Response:
    enforce(request, "identity:update_project_tags")
    with ident(request).write() as s:
        p = svc.get_project(s, request.path_params["project_id"])
        row = s.get(m.ProjectTag, (p.id, request.path_params["tag"]))
        if row is None:
            raise NotFound(f"Could not find project tag: {request.path_params['tag']}.")
        s.delete(row)
    return empty_response()
