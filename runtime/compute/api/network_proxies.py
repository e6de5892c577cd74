"""Nova's proxies to the network service, in nova-network's shapes, all removed after
microversion 2.35: /os-networks and /os-tenant-networks (read-only),
/os-security-groups with /os-security-group-rules, /os-floating-ips and
/os-floating-ip-pools."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import ApiError, BadRequest, NotFound
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import schemas as sch
from runtime.compute.api.common import body, compute, enforce, entity, removed_after
from runtime.compute.service import floating_ips
from runtime.compute.service import security_groups as sg

router = ApiRouter()
LAST = "2.35"


def _caller(request: Request, write: bool = False) -> Context:
    removed_after(request, LAST)
    return enforce(request, "network_proxy:write" if write else "network_proxy:read")


def _network_view(ctx: Context, net_id: str, name: str) -> dict[str, Any]:
    """What Nova still shows of a network since nova-network went: its id and label
    (admins see nova-network's other fields, all empty)."""
    fields = ["cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6",
              "gateway_v6", "netmask_v6"]
    if ctx.is_admin:
        fields += ["created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge",
                   "vlan", "vpn_public_address", "vpn_public_port", "vpn_private_address",
                   "dhcp_start", "project_id", "host", "bridge_interface", "multi_host",
                   "priority", "rxtx_base", "mtu", "dhcp_server", "enable_dhcp",
                   "share_address"]
    return {"id": net_id, "label": name, **dict.fromkeys(fields)}


@router.get("/v2.1/os-networks")
async def networks(request: Request) -> Response:
    ctx = _caller(request)
    found = sg.client(compute(request)).networks(ctx)
    return json_response({"networks": [_network_view(ctx, n.id, n.name) for n in found]})


def _visible_network(request: Request, ctx: Context) -> Any:
    try:
        return sg.client(compute(request)).get_network(ctx, request.path_params["id"])
    except ApiError as err:
        if err.status == 404:
            raise NotFound("Network not found") from None
        raise


@router.get("/v2.1/os-networks/{id}")
async def network(request: Request) -> Response:
    ctx = _caller(request)
    net = _visible_network(request, ctx)
    return json_response({"network": _network_view(ctx, net.id, net.name)})


@router.get("/v2.1/os-tenant-networks")
async def tenant_networks(request: Request) -> Response:
    ctx = _caller(request)
    found = sg.client(compute(request)).networks(ctx)
    return json_response({"networks": [{"id": n.id, "label": n.name, "cidr": None}
                                       for n in found if not n.external or n.shared]})


@router.get("/v2.1/os-tenant-networks/{id}")
async def tenant_network(request: Request) -> Response:
    net = _visible_network(request, _caller(request))
    return json_response({"network": {"id": net.id, "label": net.name, "cidr": None}})


def _group(request: Request, ctx: Context, group_id: str) -> dict[str, Any]:
    if not sch.uuid_like(group_id):
        raise BadRequest("Security group id should be uuid")
    try:
        return dict(sg.client(compute(request)).get_security_group(ctx, group_id))
    except ApiError as err:
        if err.status == 404:
            raise sg.not_found(group_id) from None
        raise


def _one(request: Request, ctx: Context, group: dict[str, Any]) -> Response:
    everything = sg.client(compute(request)).security_group_views(ctx)
    return json_response({"security_group": sg.views([group], everything)[0]})


def _group_fields(data: dict[str, Any]) -> tuple[str, str]:
    sch.only(data, ("name", "description"))
    out = []
    for key in ("name", "description"):
        value = data.get(key)
        if not isinstance(value, str):
            raise BadRequest(f"Security group {key} is not a string or unicode")
        if not value.strip() and key == "name":
            raise BadRequest("Security group name cannot be empty")
        if len(value) > 255:
            raise BadRequest(f"Security group {key} should not be greater than 255 "
                             "characters.")
        out.append(value)
    return out[0], out[1]


@router.get("/v2.1/os-security-groups")
async def list_groups(request: Request) -> Response:
    ctx = _caller(request)
    found = sg.client(compute(request)).security_group_views(ctx)
    mine = [g for g in found if g["project_id"] == ctx.project_id or
            (ctx.is_admin and request.query_params.get("all_tenants"))]
    return json_response({"security_groups": sg.views(mine, found)})


@router.post("/v2.1/os-security-groups")
async def create_group(request: Request) -> Response:
    ctx = _caller(request, write=True)
    name, description = _group_fields(await entity(request, "security_group"))
    made = _mapped(lambda: sg.client(compute(request)).create_security_group(
        ctx, name, description))
    return _one(request, ctx, made)


@router.get("/v2.1/os-security-groups/{id}")
async def show_group(request: Request) -> Response:
    ctx = _caller(request)
    return _one(request, ctx, _group(request, ctx, request.path_params["id"]))


@router.put("/v2.1/os-security-groups/{id}")
async def update_group(request: Request) -> Response:
    ctx = _caller(request, write=True)
    group_id = request.path_params["id"]
    _group(request, ctx, group_id)
    name, description = _group_fields(await entity(request, "security_group"))
    changed = _mapped(lambda: sg.client(compute(request)).update_security_group(
        ctx, group_id, name=name, description=description))
    return _one(request, ctx, changed)


@router.delete("/v2.1/os-security-groups/{id}")
async def delete_group(request: Request) -> Response:
    ctx = _caller(request, write=True)
    group_id = request.path_params["id"]
    _group(request, ctx, group_id)
    _mapped(lambda: sg.client(compute(request)).delete_security_group(ctx, group_id))
    return empty_response(202)


def _mapped(call: Callable[[], Any]) -> Any:
    """Neutron's conflicts (a group in use, a rule that exists) are 400s in Nova."""
    try:
        return call()
    except ApiError as err:
        if err.status == 409:
            raise BadRequest(err.message) from None
        raise


@router.post("/v2.1/os-security-group-rules")
async def create_rule(request: Request) -> Response:
    ctx = _caller(request, write=True)
    data = await entity(request, "security_group_rule")
    sch.only(data, ("parent_group_id", "ip_protocol", "from_port", "to_port", "cidr",
                    "group_id"))
    parent = data.get("parent_group_id")
    group = _group(request, ctx, parent if isinstance(parent, str) else "")
    if data.get("group_id"):
        _group(request, ctx, str(data["group_id"]))
    attrs = sg.rule_request(data, group["id"])
    rule = _mapped(lambda: sg.client(compute(request)).create_security_group_rule(
        ctx, **attrs))
    everything = sg.client(compute(request)).security_group_views(ctx)
    names = {g["id"]: (g["name"], g["project_id"]) for g in everything}
    return json_response({"security_group_rule": sg.rule_view(rule, names)})


@router.delete("/v2.1/os-security-group-rules/{id}")
async def delete_rule(request: Request) -> Response:
    ctx = _caller(request, write=True)
    rule_id = request.path_params["id"]
    if not sch.uuid_like(rule_id):
        raise BadRequest("Security group id should be uuid")
    try:
        sg.client(compute(request)).delete_security_group_rule(ctx, rule_id)
    except ApiError as err:
        if err.status == 404:
            raise NotFound(f"Security group rule {rule_id} could not be found.") from None
        raise
    return empty_response(202)


@router.get("/v2.1/os-floating-ip-pools")
async def list_pools(request: Request) -> Response:
    ctx = _caller(request)
    return json_response({"floating_ip_pools": [
        {"name": n.name} for n in floating_ips.pools(compute(request), ctx)]})


@router.get("/v2.1/os-floating-ips")
async def list_floating(request: Request) -> Response:
    ctx = _caller(request)
    return json_response({"floating_ips": floating_ips.listing(compute(request), ctx)})


@router.post("/v2.1/os-floating-ips")
async def allocate_floating(request: Request) -> Response:
    ctx = _caller(request, write=True)
    data = await body(request)
    pool = data.get("pool") if isinstance(data, dict) else None
    if pool is not None and not isinstance(pool, str):
        raise sch.invalid("pool", pool, f"{pool!r} is not of type 'string'")
    comp = compute(request)
    made = floating_ips.allocate(comp, ctx, pool)
    return json_response({"floating_ip": floating_ips.view(comp, ctx, made)})


@router.get("/v2.1/os-floating-ips/{id}")
async def show_floating(request: Request) -> Response:
    ctx = _caller(request)
    comp = compute(request)
    found = floating_ips.get(comp, ctx, request.path_params["id"])
    return json_response({"floating_ip": floating_ips.view(comp, ctx, found)})


@router.delete("/v2.1/os-floating-ips/{id}")
async def release_floating(request: Request) -> Response:
    ctx = _caller(request, write=True)
    floating_ips.release(compute(request), ctx, request.path_params["id"])
    return empty_response(202)
