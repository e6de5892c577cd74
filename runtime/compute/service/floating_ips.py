"""Nova's floating IP proxy (os-floating-ips, addFloatingIp, removeFloatingIp) over
the network service, in the nova-network shape Nova's API kept."""

from __future__ import annotations

import ipaddress
from typing import Any

from runtime.common.context import Context
from runtime.common.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound
from runtime.compute.service import networking
from runtime.compute.service.core import Compute
from runtime.compute.service.security_groups import client


def pools(comp: Compute, ctx: Context) -> list[Any]:
    """Floating IP pools: the external networks."""
    return [n for n in client(comp).networks(ctx) if n.external]


def view(comp: Compute, ctx: Context, fip: dict[str, Any],
         names: dict[str, str] | None = None) -> dict[str, Any]:
    if names is None:
        names = {n.id: n.name for n in pools(comp, ctx)}
    device = None
    if fip.get("port_id"):
        try:
            device = client(comp).get_port(networking.service_context(ctx),
                                           fip["port_id"]).device_id or None
        except ApiError:
            device = None
    return {"id": fip["id"], "ip": fip["floating_ip_address"],
            "fixed_ip": fip.get("fixed_ip_address"), "instance_id": device,
            "pool": names.get(fip["floating_network_id"], fip["floating_network_id"])}


def listing(comp: Compute, ctx: Context) -> list[dict[str, Any]]:
    names = {n.id: n.name for n in pools(comp, ctx)}
    return [view(comp, ctx, f, names) for f in client(comp).floating_ip_views(ctx)]


def get(comp: Compute, ctx: Context, fip_id: str) -> dict[str, Any]:
    try:
        return dict(client(comp).get_floating_ip(ctx, fip_id))
    except ApiError as err:
        if err.status == 404:
            raise NotFound(f"Floating IP not found for ID {fip_id}") from None
        raise


def allocate(comp: Compute, ctx: Context, pool: str | None) -> dict[str, Any]:
    found = pools(comp, ctx)
    chosen = [n for n in found if pool in (n.id, n.name)] if pool else found[:1]
    if not chosen:
        raise NotFound("Floating IP pool not found.")
    try:
        return dict(client(comp).create_floating_ip(ctx, chosen[0].id))
    except ApiError as err:
        if networking.kind(err) == "OverQuota":
            raise Forbidden("Maximum number of floating IPs exceeded") from None
        if networking.kind(err) == "IpAddressGenerationFailure":
            raise NotFound(f"No more floating IPs in pool {chosen[0].name}.") from None
        raise


def release(comp: Compute, ctx: Context, fip_id: str) -> None:
    get(comp, ctx, fip_id)
    client(comp).delete_floating_ip(ctx, fip_id)


def _by_address(comp: Compute, ctx: Context, address: str) -> dict[str, Any]:
    for fip in client(comp).floating_ip_views(ctx):
        if fip["floating_ip_address"] == address:
            return dict(fip)
    raise NotFound(f"Floating IP not found for address {address}.")


def associate(comp: Compute, ctx: Context, server_id: str, address: str,
              fixed: str | None) -> None:
    """addFloatingIp: onto the server's port holding ``fixed`` (else its first IPv4)."""
    fip = _by_address(comp, ctx, address)
    nics = networking.nics_of(comp, [server_id])[server_id]
    candidates = [(nic.port_id, ip.ip_address) for nic in nics for ip in nic.fixed_ips
                  if ipaddress.ip_address(ip.ip_address).version == 4]
    if not nics or not candidates:
        raise BadRequest("No nw_info cache associated with instance")
    if fixed is not None:
        candidates = [c for c in candidates if c[1] == fixed]
        if not candidates:
            raise BadRequest("Specified fixed address not assigned to instance")
    port_id, ip = candidates[0]
    try:
        client(comp).update_floating_ip(ctx, fip["id"], port_id=port_id,
                                        fixed_ip_address=ip)
    except ApiError as err:
        if err.status >= 500:
            raise
        raise BadRequest(f"Unable to associate floating IP {address} to fixed IP {ip} for "
                         f"instance {server_id}. Error: {err.message}") from None


def disassociate(comp: Compute, ctx: Context, server_id: str, address: str) -> None:
    fip = _by_address(comp, ctx, address)
    mine = {n.port_id for n in networking.nics_of(comp, [server_id])[server_id]}
    if not fip.get("port_id") or fip["port_id"] not in mine:
        raise Conflict(f"Floating IP {address} is not associated with instance "
                       f"{server_id}.")
    client(comp).update_floating_ip(ctx, fip["id"], port_id=None)
