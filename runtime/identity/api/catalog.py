"""Regions, services and endpoints: the catalog's records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest
from runtime.common.web import ApiRouter, empty_response
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.api.common import body, collection, enforce, ident, member, self_link
from runtime.identity.api.crud import Resource
from runtime.identity.service import endpoints as svc
from runtime.identity.service.catalog import INTERFACES
from runtime.identity.service.listing import apply_filters

router = ApiRouter()


def region_view(request: Request, r: m.Region) -> dict[str, Any]:
    return {**r.extra, "id": r.id, "description": r.description or "",
            "parent_region_id": r.parent_region_id,
            "links": self_link(request, f"/v3/regions/{r.id}")}


def service_view(request: Request, sv: m.Service) -> dict[str, Any]:
    return {**sv.extra, "id": sv.id, "type": sv.type, "enabled": sv.enabled,
            "links": self_link(request, f"/v3/services/{sv.id}")}


def endpoint_view(request: Request, e: m.Endpoint) -> dict[str, Any]:
    return {**e.extra, "id": e.id, "service_id": e.service_id, "interface": e.interface,
            "url": e.url, "enabled": e.enabled, "region_id": e.region_id,
            # "region" is the pre-v3.2 name of region_id, still read by old clients.
            "region": e.region_id, "links": self_link(request, f"/v3/endpoints/{e.id}")}


# --- regions ----------------------------------------------------------------------------


@router.get("/v3/regions")
async def list_regions(request: Request) -> Response:
    enforce(request, "identity:list_regions")
    with ident(request).read() as s:
        items = [region_view(request, r) for r in s.scalars(select(m.Region))]
    return collection(request, "regions",
                      apply_filters(items, request.query_params, ("parent_region_id",)))


@router.post("/v3/regions")
async def create_region(request: Request) -> Response:
    enforce(request, "identity:manage_regions")
    data = sch.entity(await body(request), "region")
    with ident(request).write() as s:
        return member("region", region_view(request, svc.create_region(s, data)), 201)


@router.put("/v3/regions/{region_id}")
async def create_region_with_id(request: Request) -> Response:
    enforce(request, "identity:manage_regions")
    region_id = request.path_params["region_id"]
    data = sch.entity(await body(request), "region")
    if "id" not in data:
        data["id"] = region_id
    elif data["id"] != region_id:
        raise BadRequest(f'Conflicting region IDs specified: "{region_id}" != "{data["id"]}"')
    with ident(request).write() as s:
        return member("region", region_view(request, svc.create_region(s, data)), 201)


@router.get("/v3/regions/{region_id}")
async def get_region(request: Request) -> Response:
    enforce(request, "identity:get_region")
    with ident(request).read() as s:
        r = svc.get_region(s, request.path_params["region_id"])
        return member("region", region_view(request, r))


@router.patch("/v3/regions/{region_id}")
async def update_region(request: Request) -> Response:
    enforce(request, "identity:manage_regions")
    data = sch.entity(await body(request), "region")
    with ident(request).write() as s:
        r = svc.update_region(s, svc.get_region(s, request.path_params["region_id"]), data)
        return member("region", region_view(request, r))


@router.delete("/v3/regions/{region_id}")
async def delete_region(request: Request) -> Response:
    enforce(request, "identity:manage_regions")
    with ident(request).write() as s:
        svc.delete_region(s, svc.get_region(s, request.path_params["region_id"]))
    return empty_response()


# --- services ---------------------------------------------------------------------------


Resource(
    key="service", plural="services", path="/v3/services", view=service_view,
    find=svc.get_service, query=lambda s: s.scalars(select(m.Service)),
    create=svc.create_service, update=svc.update_service, delete=svc.delete_service,
    read_rule="identity:get_service", write_rule="identity:manage_services",
    filters=("type", "name", "enabled"),
).register(router)


# --- endpoints --------------------------------------------------------------------------


@router.get("/v3/endpoints")
async def list_endpoints(request: Request) -> Response:
    enforce(request, "identity:list_endpoints")
    q = request.query_params
    if "interface" in q and q["interface"] not in INTERFACES:
        raise BadRequest(f"Invalid input for field 'interface': {q['interface']!r} is not "
                         f"one of {sorted(INTERFACES)}")
    with ident(request).read() as s:
        items = [endpoint_view(request, e) for e in s.scalars(select(m.Endpoint))]
    return collection(request, "endpoints",
                      apply_filters(items, q, ("interface", "service_id", "region_id",
                                               "enabled")))


@router.post("/v3/endpoints")
async def create_endpoint(request: Request) -> Response:
    enforce(request, "identity:manage_endpoints")
    data = sch.entity(await body(request), "endpoint")
    with ident(request).write() as s:
        return member("endpoint", endpoint_view(request, svc.create_endpoint(s, data)), 201)


@router.get("/v3/endpoints/{endpoint_id}")
async def get_endpoint(request: Request) -> Response:
    enforce(request, "identity:get_endpoint")
    with ident(request).read() as s:
        e = svc.get_endpoint(s, request.path_params["endpoint_id"])
        return member("endpoint", endpoint_view(request, e))


@router.patch("/v3/endpoints/{endpoint_id}")
async def update_endpoint(request: Request) -> Response:
    enforce(request, "identity:manage_endpoints")
    data = sch.entity(await body(request), "endpoint")
    with ident(request).write() as s:
        e = svc.update_endpoint(s, svc.get_endpoint(s, request.path_params["endpoint_id"]),
                                data)
        return member("endpoint", endpoint_view(request, e))


@router.delete("/v3/endpoints/{endpoint_id}")
async def delete_endpoint(request: Request) -> Response:
    enforce(request, "identity:manage_endpoints")
    with ident(request).write() as s:
        svc.delete_endpoint(s, svc.get_endpoint(s, request.path_params["endpoint_id"]))
    return empty_response()
