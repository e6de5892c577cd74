"""The metadata service the agents' proxies forward guests' requests to
(/networking/internal/v1/metadata/...): the proxy says which router or network the
request came through (``X-Neutron-Router-ID`` / ``X-Neutron-Network-ID``) and the guest's
address (``X-Forwarded-For``); the instance's data comes from compute's facade."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter
from runtime.network.api.common import network
from runtime.network.api.internal import PREFIX, authenticate
from runtime.network.service import metadata

router = ApiRouter()


@router.get(PREFIX + "/metadata/{path:path}")
async def serve(request: Request) -> Response:
    authenticate(request)
    from runtime.compute.client import ComputeClient

    svc = network(request)
    address = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    with svc.read() as s:
        nets = metadata.networks_of(s, request.headers.get("x-neutron-router-id"),
                                    request.headers.get("x-neutron-network-id"))
        who = metadata.caller(s, nets, address)
    instance = ComputeClient(svc.db).instance_metadata(who.instance_id) if who else None
    if who is None or instance is None:
        return Response(b"Not Found", status_code=404, media_type="text/plain")
    found = metadata.answer(request.path_params["path"], who, instance)
    return Response(found.body, status_code=found.status, media_type=found.content_type)
