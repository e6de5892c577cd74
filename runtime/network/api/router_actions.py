"""Router interface actions: PUT /routers/{id}/add_router_interface and
remove_router_interface, by subnet or by port."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.network.api.common import V2, body, caller, network
from runtime.network.service import routers

router = ApiRouter()


@router.put(V2 + "/routers/{id}/add_router_interface")
async def add_interface(request: Request) -> Response:
    ctx = caller(request)
    svc = network(request)
    data = await body(request)
    with svc.write() as s:
        found = routers.get(s, ctx, request.path_params["id"])
        info = routers.add_interface(svc, s, ctx, found, data)
    return json_response(info)


@router.put(V2 + "/routers/{id}/remove_router_interface")
async def remove_interface(request: Request) -> Response:
    ctx = caller(request)
    svc = network(request)
    data = await body(request)
    with svc.write() as s:
        found = routers.get(s, ctx, request.path_params["id"])
        info = routers.remove_interface(s, ctx, found, data)
    return json_response(info)
