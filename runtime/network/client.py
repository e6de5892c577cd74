"""The network service as other services call it in-process (compute plugging a
server's ports, and Nova's proxy APIs): plain data in and out, never ORM rows.

Calls made with a caller's context apply Neutron's policy exactly as the REST API
would; the ``nics`` read is the compute service's own view of the ports it bound (it
has already authorised the caller on the server)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.network import models as m
from runtime.network import schemas
from runtime.network.errors import NotFound, not_found
from runtime.network.service import (
    Network,
    addressing,
    auto_topology,
    floatingips,
    hosting,
    networks,
    ports,
    quotas,
    security_groups,
)


@dataclass(frozen=True)
class PortInfo:
    id: str
    network_id: str
    project_id: str
    mac_address: str
    fixed_ips: list[dict[str, str]]
    device_id: str
    device_owner: str
    host: str
    status: str
    security_groups: list[str]
    port_security_enabled: bool = True


@dataclass(frozen=True)
class NetworkInfo:
    id: str
    name: str
    project_id: str
    shared: bool
    external: bool
    admin_state_up: bool
    mtu: int
    subnets: tuple[str, ...]


@dataclass(frozen=True)
class SubnetInfo:
    id: str
    cidr: str
    ip_version: int
    gateway_ip: str | None
    enable_dhcp: bool
    ipv6_address_mode: str | None
    ipv6_ra_mode: str | None
    dns_nameservers: tuple[str, ...]
    host_routes: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class FixedIP:
    ip_address: str
    subnet_id: str
    floating_ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class Nic:
    """A port as a guest's network interface: what compute shows and plugs."""

    port_id: str
    network_id: str
    network_name: str
    mac_address: str
    mtu: int
    status: str
    host: str
    vif_type: str
    fixed_ips: tuple[FixedIP, ...]
    subnets: tuple[SubnetInfo, ...]
    security_groups: tuple[tuple[str, str], ...]  # (id, name)
    created_at: str = ""


def _info(view: dict[str, Any], port: m.Port) -> PortInfo:
    return PortInfo(id=view["id"], network_id=view["network_id"],
                    project_id=view["project_id"], mac_address=view["mac_address"],
                    fixed_ips=view["fixed_ips"], device_id=view["device_id"],
                    device_owner=view["device_owner"], host=port.binding_host_id,
                    status=view["status"], security_groups=view["security_groups"],
                    port_security_enabled=port.port_security_enabled)


def _network(net: m.Network, subnets: Sequence[str]) -> NetworkInfo:
    return NetworkInfo(id=net.id, name=net.name, project_id=net.project_id, shared=net.shared,
                       external=net.external, admin_state_up=net.admin_state_up, mtu=net.mtu,
                       subnets=tuple(subnets))


def _subnet(x: m.Subnet) -> SubnetInfo:
    return SubnetInfo(id=x.id, cidr=x.cidr, ip_version=x.ip_version, gateway_ip=x.gateway_ip,
                      enable_dhcp=x.enable_dhcp, ipv6_address_mode=x.ipv6_address_mode,
                      ipv6_ra_mode=x.ipv6_ra_mode,
                      dns_nameservers=tuple(x.dns_nameservers),
                      host_routes=tuple(dict(r) for r in x.host_routes))


class NetworkClient:
    def __init__(self, svc: Network) -> None:
        self.svc = svc

    # Networks ------------------------------------------------------------------------

    def _networks(self, s: Session, nets: Sequence[m.Network]) -> list[NetworkInfo]:
        subs: dict[str, list[str]] = defaultdict(list)
        ids = [n.id for n in nets]
        if ids:
            for sid, nid in s.execute(select(m.Subnet.id, m.Subnet.network_id)
                                      .where(m.Subnet.network_id.in_(ids))):
                subs[nid].append(sid)
        return [_network(n, sorted(subs[n.id])) for n in nets]

    def get_network(self, ctx: Context, network_id: str) -> NetworkInfo:
        """The network if the caller may see it; NetworkNotFound (404) otherwise."""
        with self.svc.read() as s:
            return self._networks(s, [networks.get(s, ctx, network_id)])[0]

    def networks(self, ctx: Context) -> list[NetworkInfo]:
        """Every network the caller can see, oldest first."""
        with self.svc.read() as s:
            found = sorted(networks.visible(s, ctx), key=lambda n: (n.created_at, n.id))
            return self._networks(s, found)

    def available_networks(self, ctx: Context) -> list[NetworkInfo]:
        """Nova's candidates when no network is named: the project's own (unshared,
        up) networks and the shared ones."""
        return [n for n in self.networks(ctx)
                if (n.shared or (n.project_id == ctx.project_id and n.admin_state_up))
                and not (n.external and not n.shared)]

    def plugs_ports_on(self, host: str) -> bool:
        """Whether a live network agent wires ports on ``host``: only then does a port
        bound there go ACTIVE, which compute waits for before a new guest runs."""
        with self.svc.read() as s:
            return host in hosting.alive_hosts(self.svc, s, hosting.LINUXBRIDGE)

    def auto_allocate(self, ctx: Context) -> str:
        """The id of the caller's project's auto-allocated network, built on first use
        (GET /v2.0/auto-allocated-topology/{project}); AutoAllocationFailure (409)
        when the deployment has no default external network or subnet pool."""
        return auto_topology.network_for(
            self.svc, ctx, auto_topology.project_for(ctx, ctx.project_id or ""))

    def network_views(self, ctx: Context, ids: Sequence[str] | None = None
                      ) -> list[dict[str, Any]]:
        with self.svc.read() as s:
            nets = [n for n in networks.visible(s, ctx) if ids is None or n.id in ids]
            return networks.views(s, ctx, nets)

    def subnets(self, ids: Sequence[str]) -> list[SubnetInfo]:
        with self.svc.read() as s:
            rows = s.scalars(select(m.Subnet).where(m.Subnet.id.in_(list(ids))))
            return [_subnet(x) for x in rows]

    # Ports ---------------------------------------------------------------------------

    def get_port(self, ctx: Context, port_id: str) -> PortInfo:
        with self.svc.read() as s:
            port = ports.get(s, ctx, port_id)
            return _info(ports.views(s, ctx, [port])[0], port)

    def port_with_address(self, network_id: str, ip_address: str) -> str | None:
        """The id of the port holding ``ip_address`` on the network, if any."""
        with self.svc.read() as s:
            return s.scalar(select(m.IPAllocation.port_id).where(
                m.IPAllocation.network_id == network_id,
                m.IPAllocation.ip_address == ip_address))

    def ports_left(self, project_id: str) -> int | None:
        """How many more ports the project may create (None: no limit)."""
        with self.svc.read() as s:
            limit = quotas.limits(s, self.svc.settings, project_id)["port"]
            if limit < 0:
                return None
            return max(0, limit - quotas.used(s, project_id, "port"))

    def create_port(self, ctx: Context, network_id: str, **attrs: Any) -> PortInfo:
        """A port made with the caller's rights, as POST /v2.0/ports would make it."""
        data = schemas.validate("port", {"network_id": network_id, **attrs}, create=True)
        with self.svc.write() as s:
            port = ports.create(self.svc, s, ctx, data)
            return _info(ports.views(s, ctx, [port])[0], port)

    def ports_of_device(self, ctx: Context, device_id: str) -> list[PortInfo]:
        with self.svc.read() as s:
            found = [p for p in ports.visible(s, ctx) if p.device_id == device_id]
            views = ports.views(s, ctx, found)
            return [_info(v, p) for v, p in zip(views, found, strict=True)]

    def update_port(self, ctx: Context, port_id: str, **attrs: Any) -> PortInfo:
        """PUT /v2.0/ports/{id} with the caller's rights (binding needs an admin)."""
        data = schemas.validate("port", attrs, create=False)
        with self.svc.write() as s:
            port = ports.get(s, ctx, port_id)
            ports.update(self.svc, s, ctx, port, data)
            s.flush()
            return _info(ports.views(s, ctx, [port])[0], port)

    def bind(self, ctx: Context, port_id: str, *, device_id: str, device_owner: str,
             host: str) -> PortInfo:
        """Attach a port to a device on a host (the caller needs the binding right)."""
        return self.update_port(ctx, port_id, device_id=device_id, device_owner=device_owner,
                                **{"binding:host_id": host})

    def unbind(self, ctx: Context, port_id: str) -> None:
        """Detach a port from its device, keeping the port (and its addresses)."""
        with suppress(NotFound):
            self.update_port(ctx, port_id, device_id="", device_owner="",
                             **{"binding:host_id": ""})

    def delete_port(self, ctx: Context, port_id: str) -> None:
        with self.svc.write() as s:
            try:
                port = ports.get(s, ctx, port_id)
            except NotFound:
                return
            ports.delete(s, ctx, port)

    def nics(self, device_ids: Sequence[str]) -> dict[str, list[Nic]]:
        """The ports bound to each device, with their network, subnets, addresses,
        floating IPs and security groups; read in a few queries for any number."""
        out: dict[str, list[Nic]] = {d: [] for d in device_ids}
        if not device_ids:
            return out
        with self.svc.read() as s:
            found: list[m.Port] = []
            wanted = list(device_ids)
            for i in range(0, len(wanted), 500):
                found += s.scalars(select(m.Port).where(
                    m.Port.device_id.in_(wanted[i:i + 500]))
                    .order_by(m.Port.created_at, m.Port.id)).all()
            if not found:
                return out
            port_ids = [p.id for p in found]
            net_ids = {p.network_id for p in found}
            nets = {n.id: n for n in s.scalars(select(m.Network)
                                               .where(m.Network.id.in_(net_ids)))}
            subs: dict[str, list[SubnetInfo]] = defaultdict(list)
            for x in s.scalars(select(m.Subnet).where(m.Subnet.network_id.in_(net_ids))
                               .order_by(m.Subnet.created_at, m.Subnet.id)):
                subs[x.network_id].append(_subnet(x))
            ips = addressing.fixed_ips(s, port_ids)
            floating: dict[tuple[str, str], list[str]] = defaultdict(list)
            for f in s.scalars(select(m.FloatingIP).where(m.FloatingIP.port_id.in_(port_ids))):
                floating[(f.port_id or "", f.fixed_ip_address or "")].append(
                    f.floating_ip_address)
            groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for pid, gid, name in s.execute(
                    select(m.PortSecurityGroup.port_id, m.SecurityGroup.id,
                           m.SecurityGroup.name)
                    .join(m.SecurityGroup,
                          m.SecurityGroup.id == m.PortSecurityGroup.security_group_id)
                    .where(m.PortSecurityGroup.port_id.in_(port_ids))):
                groups[pid].append((gid, name))
            for p in found:
                net = nets[p.network_id]
                out[p.device_id].append(Nic(
                    port_id=p.id, network_id=net.id, network_name=net.name,
                    mac_address=p.mac_address, mtu=net.mtu, status=p.status,
                    host=p.binding_host_id, vif_type=p.binding_vif_type,
                    fixed_ips=tuple(FixedIP(ip["ip_address"], ip["subnet_id"],
                                            tuple(floating[(p.id, ip["ip_address"])]))
                                    for ip in ips[p.id]),
                    subnets=tuple(subs[net.id]), security_groups=tuple(sorted(groups[p.id])),
                    created_at=p.created_at.isoformat()))
        return out

    # Security groups -----------------------------------------------------------------

    def security_group_ids(self, ctx: Context, names: Sequence[str]) -> list[str]:
        """Ids of the caller's groups named (or with the id) in ``names``; the project's
        default group is made if needed. SecurityGroupNotFound (404) for an unknown
        name; a name several groups share raises ValueError with that name."""
        out: list[str] = []
        with self.svc.write() as s:
            mine = list(security_groups.visible(s, ctx))
            for name in names:
                if name == security_groups.DEFAULT:
                    default = security_groups.ensure_default(s, ctx.project_id or "")
                    if default not in out:
                        out.append(default)
                    continue
                matches = [g.id for g in mine if g.id == name and
                           g.project_id == ctx.project_id] or \
                    [g.id for g in mine if g.name == name and g.project_id == ctx.project_id]
                if not matches:
                    raise not_found("security_group", name)
                if len(matches) > 1:
                    raise ValueError(name)
                if matches[0] not in out:
                    out.append(matches[0])
        return out

    def security_group_views(self, ctx: Context, ids: Sequence[str] | None = None
                             ) -> list[dict[str, Any]]:
        with self.svc.write() as s:  # the project's default group appears on first look
            if ctx.project_id:
                security_groups.ensure_default(s, ctx.project_id)
            found = [g for g in security_groups.visible(s, ctx) if ids is None or g.id in ids]
            found.sort(key=lambda g: (g.created_at, g.id))
            return security_groups.views(s, ctx, found)

    def get_security_group(self, ctx: Context, sg_id: str) -> dict[str, Any]:
        with self.svc.read() as s:
            return security_groups.views(s, ctx, [security_groups.get(s, ctx, sg_id)])[0]

    def create_security_group(self, ctx: Context, name: str,
                              description: str) -> dict[str, Any]:
        data = schemas.validate("security_group", {"name": name, "description": description},
                                create=True)
        with self.svc.write() as s:
            sg = security_groups.create(self.svc, s, ctx, data)
            return security_groups.views(s, ctx, [sg])[0]

    def update_security_group(self, ctx: Context, sg_id: str,
                              **attrs: Any) -> dict[str, Any]:
        data = schemas.validate("security_group", attrs, create=False)
        with self.svc.write() as s:
            sg = security_groups.get(s, ctx, sg_id)
            security_groups.update(s, ctx, sg, data)
            s.flush()
            return security_groups.views(s, ctx, [sg])[0]

    def delete_security_group(self, ctx: Context, sg_id: str) -> None:
        with self.svc.write() as s:
            security_groups.delete(s, ctx, security_groups.get(s, ctx, sg_id))

    def create_security_group_rule(self, ctx: Context, **attrs: Any) -> dict[str, Any]:
        data = schemas.validate("security_group_rule", attrs, create=True)
        with self.svc.write() as s:
            rule = security_groups.create_rule(self.svc, s, ctx, data)
            return security_groups.rule_views(s, ctx, [rule])[0]

    def delete_security_group_rule(self, ctx: Context, rule_id: str) -> None:
        with self.svc.write() as s:
            security_groups.delete_rule(s, ctx, security_groups.get_rule(s, ctx, rule_id))

    # Floating IPs --------------------------------------------------------------------

    def floating_ip_views(self, ctx: Context) -> list[dict[str, Any]]:
        with self.svc.read() as s:
            found = sorted(floatingips.visible(s, ctx), key=lambda f: (f.created_at, f.id))
            return floatingips.views(s, ctx, found)

    def get_floating_ip(self, ctx: Context, fip_id: str) -> dict[str, Any]:
        with self.svc.read() as s:
            return floatingips.views(s, ctx, [floatingips.get(s, ctx, fip_id)])[0]

    def create_floating_ip(self, ctx: Context, network_id: str) -> dict[str, Any]:
        data = schemas.validate("floatingip", {"floating_network_id": network_id},
                                create=True)
        with self.svc.write() as s:
            fip = floatingips.create(self.svc, s, ctx, data)
            return floatingips.views(s, ctx, [fip])[0]

    def update_floating_ip(self, ctx: Context, fip_id: str, **attrs: Any) -> dict[str, Any]:
        """Associate (``port_id``, ``fixed_ip_address``) or, with ``port_id=None``,
        disassociate."""
        data = schemas.validate("floatingip", attrs, create=False)
        with self.svc.write() as s:
            fip = floatingips.get(s, ctx, fip_id)
            floatingips.update(s, ctx, fip, data)
            s.flush()
            return floatingips.views(s, ctx, [fip])[0]

    def delete_floating_ip(self, ctx: Context, fip_id: str) -> None:
        with self.svc.write() as s:
            floatingips.delete(s, ctx, floatingips.get(s, ctx, fip_id))
