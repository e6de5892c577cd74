"""OS-EP-FILTER: endpoint groups and the endpoints (or groups) a project may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response
from runtime.identity import models as m
from runtime.identity.api.catalog import endpoint_view
from runtime.identity.api.common import collection, enforce, ident, member, self_link
from runtime.identity.api.crud import Resource
from runtime.identity.api.projects import project_view
from runtime.identity.service import endpoint_filter as svc
from runtime.identity.service.catalog import endpoints_for_project
from runtime.identity.service.endpoints import get_endpoint
from runtime.identity.service.projects import get_project

router = ApiRouter()
P = "/v3/OS-EP-FILTER"


def group_view(request: Request, g: m.EndpointGroup) -> dict[str, Any]:
    return {"id": g.id, "name": g.name, "description": g.description, "filters": g.filters,
            "links": self_link(request, f"{P}/endpoint_groups/{g.id}")}


# --- endpoint groups --------------------------------------------------------------------


Resource(
    key="endpoint_group", plural="endpoint_groups", path=P + "/endpoint_groups",
    view=group_view, find=svc.get_group, query=lambda s: s.scalars(select(m.EndpointGroup)),
    create=svc.create_group, update=svc.update_group, delete=svc.delete_group,
    read_rule="identity:get_endpoint_groups", write_rule="identity:endpoint_groups",
    filters=("name",),
).register(router)


@router.get(P + "/endpoint_groups/{group_id}/endpoints")
async def group_endpoints(request: Request) -> Response:
    enforce(request, "identity:get_endpoint_groups")
    with ident(request).read() as s:
        g = svc.get_group(s, request.path_params["group_id"])
        items = [endpoint_view(request, e) for e in svc.endpoints_in_group(s, g)]
    return collection(request, "endpoints", items)


@router.get(P + "/endpoint_groups/{group_id}/projects")
async def group_projects(request: Request) -> Response:
    enforce(request, "identity:get_project_endpoints")
    with ident(request).read() as s:
        projects = svc.projects_for_group(s, request.path_params["group_id"])
        items = [project_view(request, s, p) for p in projects]
    return collection(request, "projects", items)


def _association_view(request: Request, group_id: str, project_id: str) -> dict[str, Any]:
    return {"endpoint_group_id": group_id, "project_id": project_id,
            "links": self_link(request, f"{P}/endpoint_groups/{group_id}/projects/{project_id}")}


@router.get(P + "/endpoint_groups/{group_id}/projects/{project_id}")
async def check_group_in_project(request: Request) -> Response:
    enforce(request, "identity:get_project_endpoints")
    group_id, project_id = request.path_params["group_id"], request.path_params["project_id"]
    with ident(request).read() as s:
        get_project(s, project_id)
        svc.get_group(s, group_id)
        svc.group_association(s, project_id, group_id)
    return member("project_endpoint_group", _association_view(request, group_id, project_id))


@router.put(P + "/endpoint_groups/{group_id}/projects/{project_id}")
async def add_group_to_project(request: Request) -> Response:
    enforce(request, "identity:project_endpoints")
    group_id, project_id = request.path_params["group_id"], request.path_params["project_id"]
    with ident(request).write() as s:
        get_project(s, project_id)
        svc.get_group(s, group_id)
        svc.add_group(s, project_id, group_id)
    return empty_response()


@router.delete(P + "/endpoint_groups/{group_id}/projects/{project_id}")
async def remove_group_from_project(request: Request) -> Response:
    enforce(request, "identity:project_endpoints")
    group_id, project_id = request.path_params["group_id"], request.path_params["project_id"]
    with ident(request).write() as s:
        get_project(s, project_id)
        svc.get_group(s, group_id)
        s.delete(svc.group_association(s, project_id, group_id))
    return empty_response()


# --- project <-> endpoint associations --------------------------------------------------


async def _check_endpoint_in_project(request: Request) -> Response:
    enforce(request, "identity:get_project_endpoints")
    project_id, endpoint_id = request.path_params["project_id"], request.path_params["endpoint_id"]
    with ident(request).read() as s:
        get_endpoint(s, endpoint_id)
        get_project(s, project_id)
        svc.endpoint_association(s, project_id, endpoint_id)
    return empty_response()


router.get(P + "/projects/{project_id}/endpoints/{endpoint_id}")(_check_endpoint_in_project)
router.head(P + "/projects/{project_id}/endpoints/{endpoint_id}")(_check_endpoint_in_project)


@router.put(P + "/projects/{project_id}/endpoints/{endpoint_id}")
async def add_endpoint_to_project(request: Request) -> Response:
    enforce(request, "identity:project_endpoints")
    project_id, endpoint_id = request.path_params["project_id"], request.path_params["endpoint_id"]
    with ident(request).write() as s:
        get_endpoint(s, endpoint_id)
        get_project(s, project_id)
        svc.add_endpoint(s, project_id, endpoint_id)
    return empty_response()


@router.delete(P + "/projects/{project_id}/endpoints/{endpoint_id}")
async def remove_endpoint_from_project(request: Request) -> Response:
    enforce(request, "identity:project_endpoints")
    project_id, endpoint_id = request.path_params["project_id"], request.path_params["endpoint_id"]
    with ident(request).write() as s:
        s.delete(svc.endpoint_association(s, project_id, endpoint_id))
    return empty_response()


@router.get(P + "/projects/{project_id}/endpoints")
async def project_endpoints(request: Request) -> Response:
    enforce(request, "identity:get_project_endpoints")
    with ident(request).read() as s:
        p = get_project(s, request.path_params["project_id"])
        items = [endpoint_view(request, e) for e in endpoints_for_project(s, p.id).values()]
    return collection(request, "endpoints", items)


@router.get(P + "/projects/{project_id}/endpoint_groups")
async def project_groups(request: Request) -> Response:
    enforce(request, "identity:get_project_endpoints")
    with ident(request).read() as s:
        p = get_project(s, request.path_params["project_id"])
        items = [group_view(request, g) for g in svc.groups_for_project(s, p.id)]
    return collection(request, "endpoint_groups", items)


@router.get(P + "/endpoints/{endpoint_id}/projects")
async def endpoint_projects(request: Request) -> Response:
    enforce(request, "identity:get_project_endpoints")
    with ident(request).read() as s:
        e = get_endpoint(s, request.path_params["endpoint_id"])
        items = [project_view(request, s, p) for p in svc.projects_for_endpoint(s, e.id)]
    return collection(request, "projects", items)

