"""Security groups as Nova shows them (the nova-network shape its API kept), a server's
groups, and adding or removing a group on every port of a server."""

from __future__ import annotations

import ipaddress
from typing import Any

from runtime.common.context import Context
from runtime.common.errors import ApiError, BadRequest, Conflict, NotFound
from runtime.compute.service import networking
from runtime.compute.service.core import Compute


def client(comp: Compute) -> Any:
    found = comp.network()
    if found is None:
        raise NotFound("The resource could not be found.")
    return found


def not_found(name: str) -> NotFound:
    return NotFound(f"Security group {name} not found.")


def rule_view(rule: dict[str, Any], names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A Neutron rule as a Nova rule: ports 1-65535 (TCP, UDP) or -1 (others) when the
    rule names a protocol but no ports; a remote group or an address range."""
    protocol = rule.get("protocol")
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if protocol and low is None and high is None:
        low, high = (1, 65535) if protocol.upper() in ("TCP", "UDP") else (-1, -1)
    out: dict[str, Any] = {"id": rule["id"], "parent_group_id": rule["security_group_id"],
                           "ip_protocol": protocol, "from_port": low, "to_port": high,
                           "group": {}, "ip_range": {}}
    remote = rule.get("remote_group_id")
    if remote:
        name, project = names.get(remote, ("", ""))
        out["group"] = {"name": name, "tenant_id": project}
    else:
        out["ip_range"] = {"cidr": rule.get("remote_ip_prefix") or "0.0.0.0/0"}
    return out


def group_view(group: dict[str, Any], names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """Only ingress rules: nova-network's groups had no others."""
    return {"id": group["id"], "name": group["name"], "description": group["description"],
            "tenant_id": group["project_id"],
            "rules": [rule_view(r, names) for r in group["security_group_rules"]
                      if r["direction"] == "ingress"]}


def views(groups: list[dict[str, Any]], everything: list[dict[str, Any]] | None = None
          ) -> list[dict[str, Any]]:
    names = {g["id"]: (g["name"], g["project_id"]) for g in (everything or groups)}
    return [group_view(g, names) for g in groups]


def lookup(comp: Compute, ctx: Context, name: str) -> str:
    """The id of the caller's group named (or with id) ``name``; 404 / 409."""
    try:
        return str(client(comp).security_group_ids(ctx, [name])[0])
    except ValueError:
        raise Conflict(f"Multiple security groups found matching '{name}'. Use an ID to "
                       "be more specific.") from None
    except ApiError as err:
        if err.status == 404:
            raise not_found(name) from None
        raise


def of_server(comp: Compute, ctx: Context, server_id: str) -> list[dict[str, Any]]:
    nics = networking.nics_of(comp, [server_id])[server_id]
    ids = list(dict.fromkeys(g for nic in nics for g, _name in nic.security_groups))
    if not ids:
        return []
    everything = client(comp).security_group_views(networking.service_context(ctx))
    by_id = {g["id"]: g for g in everything}
    return views([by_id[i] for i in ids if i in by_id], everything)


def change(comp: Compute, ctx: Context, server_id: str, name: str, add: bool) -> None:
    """addSecurityGroup / removeSecurityGroup: the group on (off) every port."""
    net = client(comp)
    group = lookup(comp, ctx, name)
    nics = networking.nics_of(comp, [server_id])[server_id]
    if not nics:
        raise NotFound(f"instance_id {server_id} could not be found as device id on any "
                       "ports")
    have = [[g for g, _n in nic.security_groups] for nic in nics]
    if add and all(group in groups for groups in have):
        raise BadRequest(f"Security group {name} is already associated with the instance "
                         f"{server_id}")
    if not add and not any(group in groups for groups in have):
        raise BadRequest(f"Security group {name} not associated with the instance "
                         f"{server_id}")
    admin = networking.service_context(ctx)
    for nic, groups in zip(nics, have, strict=True):
        wanted = [*groups, group] if add and group not in groups else \
            [g for g in groups if g != group]
        if wanted == groups:
            continue
        try:
            net.update_port(admin, nic.port_id, security_groups=wanted)
        except ApiError as err:
            if networking.kind(err) == "PortSecurityPortHasSecurityGroup" or \
                    err.status == 409:
                raise BadRequest("Network requires port_security_enabled and subnet "
                                 "associated in order to apply security groups.") from None
            raise


def rule_request(data: dict[str, Any], parent: str) -> dict[str, Any]:
    """A Nova rule create body as Neutron's rule attributes (ingress)."""
    protocol = data.get("ip_protocol")
    if protocol is not None and (not isinstance(protocol, str) or protocol.lower() not in
                                 ("tcp", "udp", "icmp")):
        raise BadRequest(f"Invalid IP protocol {protocol}.")
    protocol = protocol.lower() if protocol else None
    ports: list[int | None] = []
    for key in ("from_port", "to_port"):
        raw = data.get(key)
        try:
            ports.append(None if raw is None or raw == "" else int(raw))
        except (TypeError, ValueError):
            raise BadRequest(f"Invalid port range {data.get('from_port')}:"
                             f"{data.get('to_port')}. Ports must be integers.") from None
    low, high = ports
    if protocol in ("tcp", "udp"):
        if low is None or high is None or not (1 <= low <= high <= 65535):
            raise BadRequest(f"Invalid port range {low}:{high}. Valid TCP ports should be "
                             "between 1-65535")
    elif protocol == "icmp":
        low = None if low == -1 else low
        high = None if high == -1 else high
        if low is None:
            high = None
    else:
        low = high = None
    group_id = data.get("group_id") or None
    cidr = data.get("cidr") or None
    if group_id and cidr:
        raise BadRequest("Not enough parameters to build a valid rule.")
    if not group_id and not cidr:
        cidr = "0.0.0.0/0"
    ethertype = "IPv4"
    if cidr:
        try:
            ethertype = "IPv6" if ipaddress.ip_network(cidr, strict=False).version == 6 \
                else "IPv4"
        except ValueError:
            raise BadRequest(f"Invalid cidr {cidr}.") from None
    return {"security_group_id": parent, "direction": "ingress", "ethertype": ethertype,
            "protocol": protocol, "port_range_min": low, "port_range_max": high,
            "remote_ip_prefix": cidr, "remote_group_id": group_id}
