"""Version discovery: the versions document at the root and the resource index of
/v2.0. Neither needs a token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.network.api.common import V2, network

router = ApiRouter()

COLLECTIONS = ("networks", "subnets", "subnetpools", "ports", "routers", "floatingips",
               "security-groups", "security-group-rules", "quotas", "agents",
               "availability_zones", "extensions")


@router.get("/")
async def versions(request: Request) -> Response:
    href = network(request).base_url + V2 + "/"
    return json_response({"versions": [{"id": "v2.0", "status": "CURRENT",
                                        "links": [{"rel": "self", "href": href}]}]})


@router.get(V2)
@router.get(V2 + "/")
async def resources(request: Request) -> Response:
    base = network(request).base_url + V2
    return json_response({"resources": [
        {"name": c.rstrip("s").replace("-", "_"), "collection": c,
         "links": [{"rel": "self", "href": f"{base}/{c}"}]} for c in COLLECTIONS]})
