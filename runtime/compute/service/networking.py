"""A server's network interfaces, through the network service (Nova's neutron API).

Creating a server checks what it asks for first (:func:`plan`: Nova's 4xx answers),
then, once the server is scheduled, makes and binds its ports (:func:`allocate`) while
the server waits in task ``networking``; its host's agent only sees it afterwards.
Deleting a server deletes the ports made for it and unbinds the ones it was given.
Every call into the network service happens outside compute's transactions: both
services share one database, and SQLite has one writer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runtime.common.context import Context
from runtime.common.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound
from runtime.compute.schemas import NicRequest, ServerRequest
from runtime.compute.service.core import Compute

if TYPE_CHECKING:
    from runtime.network.client import NetworkClient, Nic

log = logging.getLogger("haneul.compute.networking")

AMBIGUOUS = ("More than one possible network found. Specify network ID(s) to select "
             "which one(s) to connect to.")


@dataclass(frozen=True)
class NetworkPlan:
    """What a new server's ports will be; ``security_groups`` None: the default."""

    nics: tuple[NicRequest, ...] = ()
    security_groups: list[str] | None = None
    max_servers: int | None = None  # how many servers the port quota leaves room for


def service_context(ctx: Context) -> Context:
    """Nova binds ports with its own (admin) credentials, as nova-compute does."""
    return Context(request_id=ctx.request_id, user_id="haneul-compute",
                   project_id=ctx.project_id, roles=frozenset({"admin", "member", "reader"}))


def kind(err: ApiError) -> str:
    """Neutron's exception name of an error from the network service."""
    return str(getattr(err, "type", "") or "")


def _network(client: NetworkClient, ctx: Context, network_id: str) -> Any:
    try:
        return client.get_network(ctx, network_id)
    except ApiError as err:
        if err.status == 404:
            raise BadRequest(f"Network {network_id} could not be found.") from None
        raise


def check_port(client: NetworkClient, ctx: Context, port_id: str,
                not_found: type[ApiError] = BadRequest) -> Any:
    try:
        port = client.get_port(ctx, port_id)
    except ApiError as err:
        if err.status == 404:
            raise not_found(f"Port id {port_id} could not be found.") from None
        raise
    if port.device_id:
        raise Conflict(f"Port {port_id} is still in use.")
    if not port.fixed_ips:
        raise BadRequest(f"Port {port_id} requires a FixedIP in order to be used.")
    return port


def check_fixed_ip(client: NetworkClient, network_id: str, address: str,
                    error: type[ApiError] = BadRequest) -> None:
    holder = client.port_with_address(network_id, address)
    if holder is not None:
        raise error(f"Fixed IP address {address} is already in use on instance "
                    f"{holder}.")


def chosen_network(client: NetworkClient, ctx: Context, explicit: bool) -> list[NicRequest]:
    """Nova's choice when no network is named: the one available network (the
    project's own or a shared one); several are ambiguous (409); none is no NIC, or,
    when "auto" was asked for explicitly, the project's auto-allocated network (a 400
    if the network service cannot build one)."""
    found = client.available_networks(ctx)
    if len(found) > 1:
        raise Conflict(AMBIGUOUS)
    if not found:
        if explicit:
            return [NicRequest(network_id=_auto_allocated(client, ctx))]
        return []
    return [NicRequest(network_id=found[0].id)]


def _auto_allocated(client: NetworkClient, ctx: Context) -> str:
    """Nova's "get me a network": it asks Neutron for the project's auto-allocated
    topology and turns any Conflict (AutoAllocationFailure for missing defaults, or
    OverQuota) into its own 400, as Nova does; other errors pass on as they are."""
    try:
        return client.auto_allocate(ctx)
    except ApiError as err:
        if err.status in (400, 409):
            raise BadRequest(f"Unable to automatically allocate a network for project "
                             f"{ctx.project_id}") from None
        raise


def plan(comp: Compute, ctx: Context, req: ServerRequest) -> NetworkPlan:
    """Check a create request's networks, ports, fixed IPs, security groups and port
    quota, as Nova's API does before it builds anything."""
    client = comp.network()
    if client is None:
        if isinstance(req.networks, list) and req.networks:
            raise BadRequest("Networks other than 'none' and 'auto' need the network "
                             "service, which this cloud does not run.")
        return NetworkPlan()
    # Unknown groups are refused even when no port will carry them, as in Nova.
    groups = resolve_groups(client, ctx, req.security_groups) if req.security_groups \
        else None
    if req.networks == "none":
        return NetworkPlan()
    if isinstance(req.networks, list):
        nics = list(req.networks)
    else:
        nics = chosen_network(client, ctx, explicit=req.networks == "auto")
    if req.max_count > 1 and any(n.fixed_ip for n in nics):
        raise BadRequest("Failed to launch instances: fixed IP address specified with "
                         "max_count > 1")
    if req.max_count > 1 and any(n.port_id for n in nics):
        raise BadRequest("Failed to launch instances: Multiple instances with a port "
                         "specified is not supported.")
    for nic in nics:
        if nic.port_id:
            check_port(client, ctx, nic.port_id)
            continue
        assert nic.network_id is not None
        net = _network(client, ctx, nic.network_id)
        if not net.subnets:
            raise BadRequest(f"Network {net.id} requires a subnet in order to boot "
                             "instances on.")
        if nic.fixed_ip:
            check_fixed_ip(client, net.id, nic.fixed_ip)
    per_server = sum(1 for n in nics if n.network_id)
    room = client.ports_left(ctx.project_id or "") if per_server else None
    max_servers = None
    if room is not None:
        max_servers = room // per_server
        if max_servers < req.min_count:
            raise Forbidden("Maximum number of ports exceeded")
    return NetworkPlan(tuple(nics), groups, max_servers)


def resolve_groups(client: NetworkClient, ctx: Context, names: Sequence[str]) -> list[str]:
    try:
        return client.security_group_ids(ctx, names)
    except ValueError as err:
        raise Conflict(f"Multiple security groups found matching '{err}'. Use an ID to "
                       "be more specific.") from None
    except ApiError as err:
        if err.status == 404:
            missing = next((n for n in names if n in err.message), names[0])
            raise BadRequest(f"Security group {missing} not found.") from None
        raise


def requested(nics: Sequence[NicRequest]) -> list[dict[str, Any]]:
    """The nics of a plan as JSON, kept with the server until they are allocated."""
    return [{"network_id": n.network_id, "port_id": n.port_id, "fixed_ip": n.fixed_ip}
            for n in nics]


def owner(zone: str | None) -> str:
    return f"compute:{zone or 'nova'}"


def create_port(client: NetworkClient, ctx: Context, server_id: str, host: str,
                zone: str | None, network_id: str, fixed_ip: str | None,
                groups: list[str] | None) -> str:
    """A port made by the caller (Neutron's policy and quota apply), then bound to
    ``host`` with the service's rights; removed again if binding fails."""
    attrs: dict[str, Any] = {"device_id": server_id, "device_owner": owner(zone)}
    if fixed_ip:
        attrs["fixed_ips"] = [{"ip_address": fixed_ip}]
    if groups is not None:
        attrs["security_groups"] = groups
    port = client.create_port(ctx, network_id, **attrs)
    try:
        client.bind(service_context(ctx), port.id, device_id=server_id,
                    device_owner=owner(zone), host=host)
    except Exception:
        client.delete_port(service_context(ctx), port.id)
        raise
    return port.id


def allocate(client: NetworkClient, ctx: Context, server_id: str, host: str,
             zone: str | None, nics: Sequence[dict[str, Any]],
             groups: list[str] | None) -> list[dict[str, Any]]:
    """Make and bind a server's ports; all or nothing."""
    made: list[dict[str, Any]] = []
    try:
        for nic in nics:
            if nic.get("port_id"):
                client.bind(service_context(ctx), nic["port_id"], device_id=server_id,
                            device_owner=owner(zone), host=host)
                made.append({"id": nic["port_id"], "preserve": True})
            else:
                made.append({"id": create_port(client, ctx, server_id, host, zone,
                                               nic["network_id"], nic.get("fixed_ip"),
                                               groups), "preserve": False})
    except Exception:
        release(client, ctx, made)
        raise
    return made


def release(client: NetworkClient, ctx: Context, ports: Sequence[dict[str, Any]]) -> None:
    """Delete the ports made for a server; unbind the ones it was given."""
    admin = service_context(ctx)
    for port in ports:
        try:
            if port.get("preserve"):
                client.unbind(admin, port["id"])
            else:
                client.delete_port(admin, port["id"])
        except Exception:
            log.exception("could not release port %s", port.get("id"))


def release_server(comp: Compute, server_id: str, project_id: str,
                   ports: Sequence[dict[str, Any]]) -> None:
    """After a server is gone: its recorded ports, and any other port still naming it
    as its device (made by its agent's retries, or bound by hand), are released."""
    client = comp.network()
    if client is None:
        return
    ctx = Context(request_id="req-server-delete", user_id="haneul-compute",
                  project_id=project_id, roles=frozenset({"admin"}))
    kept = {p["id"] for p in ports if p.get("preserve")}
    bound = [n.port_id for n in client.nics([server_id])[server_id]]
    release(client, ctx, [*ports, *({"id": p, "preserve": p in kept} for p in bound
                                     if p not in {x["id"] for x in ports})])


def nics_of(comp: Compute, server_ids: Sequence[str]) -> dict[str, list[Nic]]:
    client = comp.network()
    if client is None or not server_ids:
        return {i: [] for i in server_ids}
    return client.nics(list(server_ids))


def fixed_addresses(comp: Compute, server_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each server's fixed IPs (for the ``ip`` and ``ip6`` list filters)."""
    return {sid: [ip.ip_address for nic in nics for ip in nic.fixed_ips]
            for sid, nics in nics_of(comp, server_ids).items()}


def ordered(nics: Sequence[Nic], ports: Sequence[dict[str, Any]]) -> list[Nic]:
    """A server's NICs in the order it asked for them (attached ones after)."""
    rank = {p["id"]: i for i, p in enumerate(ports)}
    return sorted(nics, key=lambda n: (rank.get(n.port_id, len(rank)), n.created_at))


def addresses(nics: Sequence[Nic]) -> dict[str, list[dict[str, Any]]]:
    """Nova's ``addresses``: by network name, each fixed IP then its floating IPs."""
    out: dict[str, list[dict[str, Any]]] = {}
    for nic in nics:
        entries = out.setdefault(nic.network_name, [])
        for ip in nic.fixed_ips:
            version = 6 if ":" in ip.ip_address else 4
            entries.append({"version": version, "addr": ip.ip_address,
                            "OS-EXT-IPS:type": "fixed",
                            "OS-EXT-IPS-MAC:mac_addr": nic.mac_address})
            for floating in ip.floating_ips:
                entries.append({"version": 4, "addr": floating,
                                "OS-EXT-IPS:type": "floating",
                                "OS-EXT-IPS-MAC:mac_addr": nic.mac_address})
    return out


def security_group_names(nics: Sequence[Nic]) -> list[dict[str, str]]:
    """The groups of a server's ports, each once, as Nova lists them."""
    names: list[str] = []
    for nic in nics:
        for _id, name in nic.security_groups:
            if name not in names:
                names.append(name)
    return [{"name": n} for n in names]


def not_found_port(port_id: str) -> NotFound:
    return NotFound(f"Port id {port_id} could not be found.")
