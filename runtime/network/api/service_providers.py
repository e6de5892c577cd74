"""/v2.0/service-providers: the drivers behind advanced services (``service-type``).
Routers here have one: the single-node L3 implementation of the network agents."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.network.api.common import V2, caller, network
from runtime.network.service import query as q

router = ApiRouter()

PROVIDERS = ({"service_type": "L3_ROUTER_NAT", "name": "single_node", "default": True},)


@router.get(V2 + "/service-providers")
async def index(request: Request) -> Response:
    caller(request)
    query = q.parse(list(request.query_params.multi_items()),
                    network(request).settings.pagination_max_limit)
    return json_response({"service_providers": [
        q.only_fields(p, query.fields) for p in q.select_views([dict(p) for p in PROVIDERS],
                                                                 query)]})
