"""GET and DELETE /v2.0/auto-allocated-topology/{project_id}: Neutron's "get me a
network" (the logic is in :mod:`runtime.network.service.auto_topology`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.network.api.common import V2, caller, fields, network
from runtime.network.service import auto_topology

router = ApiRouter()

PATH = V2 + "/auto-allocated-topology/{project_id}"


@router.get(PATH)
async def show(request: Request) -> Response:
    ctx = caller(request)
    found = auto_topology.show(network(request), ctx, request.path_params["project_id"],
                               fields(request))
    return json_response({"auto_allocated_topology": found})


@router.delete(PATH)
async def remove(request: Request) -> Response:
    ctx = caller(request)
    auto_topology.delete(network(request), ctx, request.path_params["project_id"])
    return empty_response()
