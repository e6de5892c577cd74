"""/v2.0/availability_zones."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.network.api.common import V2, caller, network
from runtime.network.service import agents
from runtime.network.service import query as q
from runtime.network.service.core import enforce

router = ApiRouter()


@router.get(V2 + "/availability_zones")
async def index(request: Request) -> Response:
    ctx = caller(request)
    enforce(ctx, "get_availability_zone")
    svc = network(request)
    with svc.read() as s:
        zones = agents.availability_zones(svc, s)
    query = q.parse(list(request.query_params.multi_items()), svc.settings.pagination_max_limit)
    return json_response({"availability_zones": [
        q.only_fields(z, query.fields) for z in q.select_views(zones, query)]})
