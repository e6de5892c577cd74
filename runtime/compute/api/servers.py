"""/servers: create, list (brief and detail), show, update, delete."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.pagination import next_link, page_params, paginate
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import schemas as sch
from runtime.compute.api.common import (
    all_projects,
    at_least,
    body,
    compute,
    enforce,
    entity,
    link,
    member,
)
from runtime.compute.api.views import Prefetched, action_view, detail_view, index_view
from runtime.compute.service import listing, networking, servers
from runtime.compute.service.core import get_server

router = ApiRouter()


async def _list(request: Request, detail: bool) -> Response:
    ctx = enforce(request, "servers:detail" if detail else "servers:index")
    everyone = all_projects(request)
    if everyone:
        enforce(request, "servers:all_tenants")
    comp = compute(request)
    page = page_params(request.query_params, comp.settings.list_max_limit)
    with comp.read() as s:
        rows = listing.listing(s, ctx, request.query_params, everyone,
                               lambda ids: networking.fixed_addresses(comp, ids))
        chunk, marker = paginate(rows, page, lambda r: r.id)
        pre = Prefetched.load(request, s, chunk) if detail else None
        items = [detail_view(request, s, r, pre=pre) if detail else index_view(request, r)
                 for r in chunk]
    out: dict[str, Any] = {"servers": items}
    if marker is not None:
        base = comp.base_url + "/v2.1/servers" + ("/detail" if detail else "")
        out["servers_links"] = [next_link(base, request.query_params, marker)]
    return json_response(out)


@router.get("/v2.1/servers")
async def index(request: Request) -> Response:
    return await _list(request, False)


@router.get("/v2.1/servers/detail")
async def detail(request: Request) -> Response:
    return await _list(request, True)


@router.post("/v2.1/servers")
async def create(request: Request) -> Response:
    ctx = enforce(request, "servers:create")
    data = await body(request)
    req = sch.server_create(data, lambda v: at_least(request, v))
    if req.description is not None and not at_least(request, "2.19"):
        raise sch.invalid("description", req.description, "needs microversion 2.19")
    made = servers.create(compute(request), ctx, req)
    if data["server"].get("return_reservation_id"):
        return json_response({"reservation_id": made[0].reservation_id}, status=202)
    first = made[0]
    view: dict[str, Any] = {
        "id": first.id,
        "links": link(request, f"/servers/{first.id}"),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": n} for n in req.security_groups or ["default"]],
        # Nova returns an admin password it may set in the guest; Haneul's guests take
        # their keys from the config drive instead, so this one is only a placeholder.
        "adminPass": secrets.token_urlsafe(9),
    }
    return json_response({"server": view}, status=202,
                         headers={"Location": f"{compute(request).base_url}/v2.1/servers/"
                                              f"{first.id}"})


@router.get("/v2.1/servers/{id}")
async def show(request: Request) -> Response:
    ctx = enforce(request, "servers:show")
    with compute(request).read() as s:
        server = get_server(s, ctx, request.path_params["id"])
        return member("server", detail_view(request, s, server, show=True))


UPDATE_FIELDS = {"name": "name", "accessIPv4": "access_ipv4", "accessIPv6": "access_ipv6",
                 "OS-DCF:diskConfig": None}


@router.put("/v2.1/servers/{id}")
async def update(request: Request) -> Response:
    ctx = enforce(request, "servers:update")
    data = await entity(request, "server")
    allowed = set(UPDATE_FIELDS)
    if at_least(request, "2.19"):
        allowed.add("description")
    if at_least(request, "2.90"):
        allowed.add("hostname")
    sch.only(data, allowed)
    fields: dict[str, Any] = {}
    if "name" in data:
        fields["name"] = sch.string(data, "name", required=True, min_len=1, name_like=True)
    for key, family in (("accessIPv4", 4), ("accessIPv6", 6)):
        if key in data:
            fields[UPDATE_FIELDS[key] or key] = sch.ip_address(data, key, family)
    if "description" in data:
        fields["description"] = sch.string(data, "description", nullable=True)
    if "hostname" in data:
        fields["hostname"] = sch.string(data, "hostname", required=True, min_len=1,
                                        max_len=63)
    with compute(request).write() as s:
        server = get_server(s, ctx, request.path_params["id"])
        servers.update(s, server, fields)
        return member("server", action_view(request, s, server))


@router.delete("/v2.1/servers/{id}")
async def delete(request: Request) -> Response:
    ctx = enforce(request, "servers:delete")
    comp = compute(request)
    with comp.write() as s:
        servers.delete(comp, s, ctx, get_server(s, ctx, request.path_params["id"]))
    return empty_response(204)
