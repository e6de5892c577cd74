"""/os-aggregates: host aggregates and their availability zones (admin only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import models as m
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, body, compute, enforce, entity
from runtime.compute.api.views import usec
from runtime.compute.service import aggregates as svc

router = ApiRouter()


def _view(request: Request, s: Session, a: m.Aggregate, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": a.id, "name": a.name, "availability_zone": a.metadata_.get(svc.ZONE_KEY),
        "created_at": usec(a.created_at), "updated_at": usec(a.updated_at),
        "deleted_at": None, "deleted": False}
    if full:
        view["hosts"] = svc.hosts(s, a.id)
        view["metadata"] = dict(a.metadata_)
    if at_least(request, "2.41"):
        view["uuid"] = a.uuid
    return view


def _name_and_zone(data: dict[str, Any], required: bool) -> tuple[str | None, str | None]:
    sch.only(data, ("name", "availability_zone"))
    name = sch.string(data, "name", required=required, min_len=1, name_like=True)
    zone = sch.string(data, "availability_zone", min_len=1, nullable=True)
    return name, zone


def _default_zone(request: Request) -> str:
    return compute(request).settings.default_availability_zone


@router.get("/v2.1/os-aggregates")
async def index(request: Request) -> Response:
    enforce(request, "aggregates")
    with compute(request).read() as s:
        return json_response({"aggregates": [_view(request, s, a) for a in svc.listing(s)]})


@router.post("/v2.1/os-aggregates")
async def create(request: Request) -> Response:
    enforce(request, "aggregates")
    name, zone = _name_and_zone(await entity(request, "aggregate"), required=True)
    assert name is not None
    with compute(request).write() as s:
        return json_response({"aggregate": _view(request, s, svc.create(s, name, zone),
                                                 full=False)})


@router.get("/v2.1/os-aggregates/{id}")
async def show(request: Request) -> Response:
    enforce(request, "aggregates")
    with compute(request).read() as s:
        return json_response({"aggregate": _view(request, s, svc.get(
            s, request.path_params["id"]))})


@router.put("/v2.1/os-aggregates/{id}")
async def update(request: Request) -> Response:
    enforce(request, "aggregates")
    data = await entity(request, "aggregate")
    if not data:
        raise BadRequest("Invalid input for field/attribute aggregate: it needs a name or "
                         "an availability_zone.")
    name, zone = _name_and_zone(data, required=False)
    with compute(request).write() as s:
        aggregate = svc.update(s, svc.get(s, request.path_params["id"]), name, zone,
                               _default_zone(request))
        return json_response({"aggregate": _view(request, s, aggregate)})


@router.delete("/v2.1/os-aggregates/{id}")
async def delete(request: Request) -> Response:
    enforce(request, "aggregates")
    with compute(request).write() as s:
        svc.destroy(s, svc.get(s, request.path_params["id"]))
    return empty_response(200)


@router.post("/v2.1/os-aggregates/{id}/action")
async def action(request: Request) -> Response:
    enforce(request, "aggregates")
    data = await body(request)
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRequest("Exactly one aggregate action is expected.")
    name, args = next(iter(data.items()))
    if not isinstance(args, dict):
        raise sch.invalid(name, args, "is not of type 'object'")
    zone = _default_zone(request)
    with compute(request).write() as s:
        aggregate = svc.get(s, request.path_params["id"])
        if name in ("add_host", "remove_host"):
            sch.only(args, ("host",))
            host = sch.string(args, "host", required=True, min_len=1)
            assert host is not None
            (svc.add_host if name == "add_host" else svc.remove_host)(s, aggregate, host, zone)
        elif name == "set_metadata":
            sch.only(args, ("metadata",))
            metadata = args.get("metadata")
            if not isinstance(metadata, dict):
                raise sch.invalid("metadata", metadata, "is not of type 'object'")
            svc.set_metadata(s, aggregate, metadata, zone)
        else:
            raise BadRequest(f"There is no such action: {name}")
        return json_response({"aggregate": _view(request, s, aggregate)})
