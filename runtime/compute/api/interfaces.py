"""A server's networking: /servers/{id}/ips, os-interface (attach and detach ports),
os-security-groups of a server and the add/removeSecurityGroup,
add/removeFloatingIp and injectNetworkInfo actions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.context import Context
from runtime.common.errors import BadRequest, NotFound
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.compute import schemas as sch
from runtime.compute.api.common import at_least, compute, enforce, entity, removed_after
from runtime.compute.api.server_actions import action
from runtime.compute.service import floating_ips, interfaces, networking, security_groups
from runtime.compute.service.core import get_server

router = ApiRouter()


def _server_nics(request: Request, ctx: Context) -> list[Any]:
    comp = compute(request)
    with comp.read() as s:
        server = get_server(s, ctx, request.path_params["id"])
    return interfaces.listing(comp, server)


@router.get("/v2.1/servers/{id}/ips")
async def ips(request: Request) -> Response:
    ctx = enforce(request, "servers:ips")
    return json_response({"addresses": networking.addresses(_server_nics(request, ctx))})


@router.get("/v2.1/servers/{id}/ips/{network}")
async def ips_of_network(request: Request) -> Response:
    ctx = enforce(request, "servers:ips")
    label = request.path_params["network"]
    found = networking.addresses(_server_nics(request, ctx))
    if label not in found:
        raise NotFound("Instance is not a member of specified network")
    return json_response({label: found[label]})


@router.get("/v2.1/servers/{id}/os-interface")
async def list_interfaces(request: Request) -> Response:
    ctx = enforce(request, "servers:interfaces:read")
    return json_response({"interfaceAttachments": [
        _attachment(request, n) for n in _server_nics(request, ctx)]})


def _attachment(request: Request, nic: Any) -> dict[str, Any]:
    out = interfaces.view(nic)
    if at_least(request, "2.70"):
        out["tag"] = None
    return out


@router.get("/v2.1/servers/{id}/os-interface/{port_id}")
async def show_interface(request: Request) -> Response:
    ctx = enforce(request, "servers:interfaces:read")
    port_id = request.path_params["port_id"]
    for nic in _server_nics(request, ctx):
        if nic.port_id == port_id:
            return json_response({"interfaceAttachment": _attachment(request, nic)})
    raise networking.not_found_port(port_id)


@router.post("/v2.1/servers/{id}/os-interface")
async def attach_interface(request: Request) -> Response:
    ctx = enforce(request, "servers:interfaces:write")
    data = await entity(request, "interfaceAttachment")
    sch.only(data, ("port_id", "net_id", "fixed_ips", "tag") if at_least(request, "2.49")
             else ("port_id", "net_id", "fixed_ips"))
    port_id = data.get("port_id") or None
    net_id = data.get("net_id") or None
    fixed = data.get("fixed_ips")
    address = None
    if fixed is not None:
        if not isinstance(fixed, list) or len(fixed) != 1 or not isinstance(fixed[0], dict) \
                or "ip_address" not in fixed[0]:
            raise sch.invalid("fixed_ips", fixed, "must be a list of one {ip_address}")
        address = sch.ip_address(fixed[0], "ip_address", 4) if ":" not in str(
            fixed[0]["ip_address"]) else sch.ip_address(fixed[0], "ip_address", 6)
        if net_id is None:
            raise BadRequest("Must input network_id when request IP address")
    if port_id and net_id:
        raise BadRequest("Must not input both network_id and port_id")
    for key, value in (("port_id", port_id), ("net_id", net_id)):
        if value is not None and (not isinstance(value, str) or not sch.uuid_like(value)):
            raise sch.invalid(key, value, f"{value!r} is not a 'uuid'")
    nic = interfaces.attach(compute(request), ctx, request.path_params["id"],
                            interfaces.AttachRequest(port_id, net_id, address))
    return json_response({"interfaceAttachment": _attachment(request, nic)})


@router.delete("/v2.1/servers/{id}/os-interface/{port_id}")
async def detach_interface(request: Request) -> Response:
    ctx = enforce(request, "servers:interfaces:write")
    interfaces.detach(compute(request), ctx, request.path_params["id"],
                      request.path_params["port_id"])
    return empty_response(202)


@router.get("/v2.1/servers/{id}/os-security-groups")
async def server_groups(request: Request) -> Response:
    ctx = enforce(request, "servers:security_groups:read")
    comp = compute(request)
    with comp.read() as s:
        server = get_server(s, ctx, request.path_params["id"])
    if comp.network() is None:
        return json_response({"security_groups": []})
    return json_response({"security_groups": security_groups.of_server(comp, ctx, server.id)})


def _group_name(name: str, args: Any) -> str:
    if not isinstance(args, dict):
        raise sch.invalid(name, args, "is not of type 'object'")
    value = args.get("name")
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("Security group name cannot be empty")
    return value.strip()


async def _change_group(request: Request, ctx: Context, server_id: str, args: Any,
                        add: bool) -> Response:
    enforce(request, "servers:security_groups:write")
    name = _group_name("addSecurityGroup" if add else "removeSecurityGroup", args)
    comp = compute(request)
    with comp.read() as s:
        get_server(s, ctx, server_id)
    security_groups.change(comp, ctx, server_id, name, add)
    return empty_response(202)


@action("addSecurityGroup")
async def add_security_group(request: Request, ctx: Context, server_id: str,
                             args: Any) -> Response:
    return await _change_group(request, ctx, server_id, args, True)


@action("removeSecurityGroup")
async def remove_security_group(request: Request, ctx: Context, server_id: str,
                                args: Any) -> Response:
    return await _change_group(request, ctx, server_id, args, False)


@action("injectNetworkInfo")
async def inject_network_info(request: Request, ctx: Context, server_id: str,
                              args: Any) -> Response:
    """An admin's request to push network settings into the guest: Haneul's guests
    read them from the config drive and DHCP, so there is nothing to push."""
    enforce(request, "servers:inject_network_info")
    with compute(request).read() as s:
        get_server(s, ctx, server_id)
    return empty_response(202)


def _address(name: str, args: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(args, dict):
        raise sch.invalid(name, args, "is not of type 'object'")
    sch.only(args, keys)
    for key in keys:
        if key in args:
            value = args[key]
            try:
                sch.ip_address(args, key, 6 if ":" in str(value) else 4)
            except BadRequest:
                raise sch.invalid(key, value, f"{value!r} is not a 'ipv4'") from None
    if not args.get("address"):
        raise sch.invalid("address", None, "'address' is a required property")
    return args


@action("addFloatingIp")
async def add_floating_ip(request: Request, ctx: Context, server_id: str,
                          args: Any) -> Response:
    removed_after(request, "2.43")
    enforce(request, "network_proxy:write")
    data = _address("addFloatingIp", args, ("address", "fixed_address"))
    comp = compute(request)
    with comp.read() as s:
        get_server(s, ctx, server_id)
    floating_ips.associate(comp, ctx, server_id, data["address"], data.get("fixed_address"))
    return empty_response(202)


@action("removeFloatingIp")
async def remove_floating_ip(request: Request, ctx: Context, server_id: str,
                             args: Any) -> Response:
    removed_after(request, "2.43")
    enforce(request, "network_proxy:write")
    data = _address("removeFloatingIp", args, ("address",))
    comp = compute(request)
    with comp.read() as s:
        get_server(s, ctx, server_id)
    floating_ips.disassociate(comp, ctx, server_id, data["address"])
    return empty_response(202)
