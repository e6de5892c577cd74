"""os-interface: ports attached to and detached from a server that exists. The API
makes (or binds) the port and records it with the server; the host's agent hot-plugs
it into the guest (and unplugs a detached one) on its next pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound
from runtime.compute import models as m
from runtime.compute.service import instance_actions, networking
from runtime.compute.service.core import Compute, get_server, touch_host
from runtime.compute.service.servers import check_unlocked
from runtime.compute.states import VmState

# Nova attaches and detaches interfaces of servers in these states, with no task.
ATTACHABLE = {VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED, VmState.SUSPENDED}


@dataclass(frozen=True)
class AttachRequest:
    port_id: str | None = None
    network_id: str | None = None
    fixed_ip: str | None = None


def _check_state(server: m.Server, action: str) -> None:
    if server.vm_state not in ATTACHABLE:
        raise Conflict(f"Cannot '{action}' instance {server.id} while it is in vm_state "
                       f"{server.vm_state}")
    if server.task_state is not None:
        raise Conflict(f"Cannot '{action}' instance {server.id} while it is in task_state "
                       f"{server.task_state}")


def _client(comp: Compute) -> Any:
    client = comp.network()
    if client is None:
        raise BadRequest("Network driver does not support this function.")
    return client


def view(nic: Any) -> dict[str, Any]:
    """An ``interfaceAttachment``."""
    return {"port_state": nic.status, "port_id": nic.port_id, "net_id": nic.network_id,
            "mac_addr": nic.mac_address,
            "fixed_ips": [{"subnet_id": ip.subnet_id, "ip_address": ip.ip_address}
                          for ip in nic.fixed_ips]}


def listing(comp: Compute, server: m.Server) -> list[Any]:
    nics = networking.nics_of(comp, [server.id])[server.id]
    return networking.ordered(nics, server.extra.get("ports") or [])


def attach(comp: Compute, ctx: Context, server_id: str, req: AttachRequest) -> Any:
    """The attached port's NIC. Errors as Nova's: an unknown port or network is 404,
    a port in use or a fixed IP taken 409."""
    client = _client(comp)
    with comp.read() as s:
        server = get_server(s, ctx, server_id)
        check_unlocked(ctx, server)
        _check_state(server, "attach_interface")
        host, zone = server.host or "", server.availability_zone
    if req.port_id:
        networking.check_port(client, ctx, req.port_id, not_found=NotFound)
        client.bind(networking.service_context(ctx), req.port_id, device_id=server_id,
                    device_owner=networking.owner(zone), host=host)
        record = {"id": req.port_id, "preserve": True}
    else:
        network_id = req.network_id
        if network_id is None:
            found = client.available_networks(ctx)
            if len(found) > 1:
                raise Conflict(networking.AMBIGUOUS)
            if not found:
                raise BadRequest("No specific network was requested and none are available "
                                 f"for project '{ctx.project_id}'.")
            network_id = found[0].id
        try:
            client.get_network(ctx, network_id)
        except ApiError as err:
            if err.status == 404:
                raise NotFound(f"Network {network_id} could not be found.") from None
            raise
        if req.fixed_ip:
            networking.check_fixed_ip(client, network_id, req.fixed_ip, Conflict)
        try:
            port_id = networking.create_port(client, ctx, server_id, host, zone, network_id,
                                             req.fixed_ip, None)
        except ApiError as err:
            raise _attach_error(err) from None
        record = {"id": port_id, "preserve": False}
    with comp.write() as s:
        server = get_server(s, ctx, server_id)
        server.extra = {**server.extra, "ports": [*(server.extra.get("ports") or []),
                                                  record]}
        server.updated_at = utcnow()
        instance_actions.record(s, ctx, server.id, "attach_interface")
        instance_actions.finish(s, server.id, server.host)
        touch_host(s, server.host)
    nic = next((n for n in listing(comp, server) if n.port_id == record["id"]), None)
    if nic is None:
        raise NotFound(f"Port id {record['id']} could not be found.")
    return nic


def _attach_error(err: ApiError) -> ApiError:
    kind = networking.kind(err)
    if kind == "IpAddressAlreadyAllocated":
        return Conflict(err.message)
    if kind in ("IpAddressGenerationFailure", "InvalidIpForNetwork", "InvalidIpForSubnet"):
        return BadRequest(err.message)
    if kind == "OverQuota":
        return Forbidden("Maximum number of ports exceeded")
    return err


def detach(comp: Compute, ctx: Context, server_id: str, port_id: str) -> None:
    client = _client(comp)
    with comp.read() as s:
        server = get_server(s, ctx, server_id)
        check_unlocked(ctx, server)
        _check_state(server, "detach_interface")
        ports = list(server.extra.get("ports") or [])
    if port_id not in {n.port_id for n in listing(comp, server)}:
        raise networking.not_found_port(port_id)
    record = next((p for p in ports if p["id"] == port_id), {"id": port_id, "preserve": True})
    networking.release(client, ctx, [record])
    with comp.write() as s:
        server = get_server(s, ctx, server_id)
        server.extra = {**server.extra, "ports": [p for p in server.extra.get("ports") or []
                                                  if p["id"] != port_id]}
        server.updated_at = utcnow()
        instance_actions.record(s, ctx, server.id, "detach_interface")
        instance_actions.finish(s, server.id, server.host)
        touch_host(s, server.host)
