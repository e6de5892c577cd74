"""From the controller's desired state to what this host must have: a pure function,
so what the agent builds can be checked without touching the kernel."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from runtime.network.agent import names

DHCP_OWNER = "network:dhcp"
INTERFACE_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                    "network:ha_router_replicated_interface")
GATEWAY_OWNER = "network:router_gateway"


@dataclass(frozen=True)
class AgentConfig:
    host: str
    local_ip: str | None = None
    vxlan_port: int = 4789
    physical_interface_mappings: dict[str, str] = field(default_factory=dict)
    dhcp: bool = True
    l3: bool = True
    metadata: bool = True
    vlan_supported: bool = False
    dns_domain: str = "openstacklocal"
    lease_time: int = 86400


@dataclass(frozen=True)
class BridgePlan:
    network_id: str
    name: str
    mtu: int
    # The uplink enslaved to the bridge: a VXLAN device, a physical interface or a VLAN
    # device on one; None for a network that lives on this host only.
    uplink: str | None = None
    uplink_kind: str | None = None  # "vxlan" | "physical" | "vlan"
    vni: int | None = None
    vlan_parent: str | None = None
    vlan_id: int | None = None
    remotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Address:
    ip: str
    prefixlen: int
    subnet_id: str

    @property
    def cidr(self) -> str:
        return f"{self.ip}/{self.prefixlen}"

    @property
    def version(self) -> int:
        return ipaddress.ip_address(self.ip).version


@dataclass(frozen=True)
class LocalPort:
    """A port bound here that something else plugs (a guest's tap): this agent filters
    it and reports whether its device is there."""

    id: str
    network_id: str
    device: str
    bridge: str
    mac: str
    addresses: tuple[Address, ...]
    allowed_pairs: tuple[tuple[str, str], ...]  # (ip or cidr, mac)
    security_groups: tuple[str, ...]
    port_security: bool
    admin_up: bool = True


@dataclass(frozen=True)
class Leg:
    """A veth from a namespace into a network's bridge: ``outer`` in the bridge,
    ``inner`` in the namespace with the port's MAC and addresses."""

    port_id: str
    network_id: str
    bridge: str
    outer: str
    inner: str
    mac: str
    addresses: tuple[Address, ...]
    mtu: int


@dataclass(frozen=True)
class HostEntry:
    mac: str
    ip: str
    hostname: str


@dataclass(frozen=True)
class DhcpPlan:
    network_id: str
    namespace: str
    leg: Leg | None  # None until the controller has made the DHCP port
    subnets: tuple[dict[str, Any], ...]
    hosts: tuple[HostEntry, ...]
    isolated: bool  # no router: serve metadata from here and push a route to it
    needs_port: bool


@dataclass(frozen=True)
class Advertised:
    """An IPv6 subnet a router announces on one of its interfaces (Neutron's radvd):
    only subnets with ``ipv6_ra_mode`` set, the router being their default router."""

    leg: str  # the interface leg inside the router's namespace
    subnet_id: str
    prefix: str  # the subnet's CIDR
    mode: str  # ipv6_ra_mode: slaac | dhcpv6-stateless | dhcpv6-stateful
    mtu: int
    dns_nameservers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouterPlan:
    id: str
    namespace: str
    interfaces: tuple[Leg, ...]
    gateway: Leg | None
    gateway_ip: str | None  # the external subnet's gateway: the default route
    snat: bool
    floating_ips: tuple[tuple[str, str], ...]  # (floating, fixed)
    routes: tuple[tuple[str, str], ...]  # (destination, nexthop)
    unclaimed: bool  # some of its ports are not yet bound to this host
    advertise: tuple[Advertised, ...] = ()  # router advertisements, per interface


@dataclass
class HostPlan:
    bridges: dict[str, BridgePlan] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # network id -> why
    ports: list[LocalPort] = field(default_factory=list)
    dhcp: list[DhcpPlan] = field(default_factory=list)
    routers: list[RouterPlan] = field(default_factory=list)
    security_groups: dict[str, Any] = field(default_factory=dict)
    remote_groups: dict[str, list[str]] = field(default_factory=dict)


def _addresses(port: dict[str, Any], subnets: dict[str, dict[str, Any]]) -> tuple[Address,
                                                                                  ...]:
    out = []
    for ip in port["fixed_ips"]:
        sub = subnets.get(ip["subnet_id"])
        if sub is None:
            continue
        prefix = ipaddress.ip_network(sub["cidr"], strict=False).prefixlen
        out.append(Address(ip["ip_address"], prefix, sub["id"]))
    return tuple(out)


def _bridge(net: dict[str, Any], cfg: AgentConfig,
            remotes: tuple[str, ...]) -> BridgePlan | str:
    """The bridge of a network, or why this host cannot carry it."""
    name, kind = names.bridge(net["id"]), net["network_type"]
    mtu = int(net.get("mtu") or 1500)
    if kind == "vxlan":
        if not cfg.local_ip:
            return "network type vxlan needs local_ip (this host's tunnel address)"
        vni = int(net["segmentation_id"])
        return BridgePlan(net["id"], name, mtu, names.vxlan(vni), "vxlan", vni=vni,
                          remotes=remotes)
    if kind in ("flat", "vlan"):
        physnet = net.get("physical_network") or ""
        iface = cfg.physical_interface_mappings.get(physnet)
        if iface is None:
            return (f"physical network {physnet!r} has no interface on this host "
                    "(physical_interface_mappings)")
        if kind == "flat":
            return BridgePlan(net["id"], name, mtu, iface, "physical")
        if not cfg.vlan_supported:
            return "this kernel has no 802.1Q VLAN devices: VLAN networks cannot be built"
        vid = int(net["segmentation_id"])
        return BridgePlan(net["id"], name, mtu, f"{iface}.{vid}", "vlan",
                          vlan_parent=iface, vlan_id=vid)
    if kind == "local":
        return BridgePlan(net["id"], name, mtu)
    return f"network type {kind!r} is not supported by the Linux bridge agent"


def _leg(port: dict[str, Any], inner: str, net: dict[str, Any],
         subnets: dict[str, dict[str, Any]]) -> Leg:
    return Leg(port["id"], net["id"], names.bridge(net["id"]), names.tap(port["id"]), inner,
               port["mac_address"], _addresses(port, subnets), int(net.get("mtu") or 1500))


def plan(state: dict[str, Any], cfg: AgentConfig) -> HostPlan:
    out = HostPlan(security_groups=dict(state.get("security_groups") or {}),
                   remote_groups=dict(state.get("remote_groups") or {}))
    remotes = tuple(sorted({e["ip"] for e in state.get("tunnel_endpoints", [])
                            if e["ip"] != cfg.local_ip}))
    nets = {n["id"]: n for n in state.get("networks", [])}
    subnets = {s["id"]: s for n in nets.values() for s in n["subnets"]}
    for net in nets.values():
        made = _bridge(net, cfg, remotes)
        if isinstance(made, str):
            out.refused[net["id"]] = made
        else:
            out.bridges[made.name] = made
    ports = state.get("ports", [])
    for port in ports:
        if port["host"] != cfg.host or port["device_owner"].startswith("network:") \
                or port["network_id"] not in nets or port["network_id"] in out.refused:
            continue
        out.ports.append(LocalPort(
            port["id"], port["network_id"], names.tap(port["id"]),
            names.bridge(port["network_id"]), port["mac_address"],
            _addresses(port, subnets),
            tuple((str(p["ip_address"]), str(p.get("mac_address") or port["mac_address"]))
                  for p in port.get("allowed_address_pairs", [])),
            tuple(port["security_groups"]), bool(port["port_security_enabled"]),
            bool(port.get("admin_state_up", True))))
    if cfg.dhcp:
        out.dhcp = [_dhcp(net, ports, subnets, cfg) for net in nets.values()
                    if net.get("dhcp") and net["id"] not in out.refused]
    if cfg.l3:
        out.routers = [_router(r, nets, subnets, cfg) for r in state.get("routers", [])]
    return out


def _dhcp(net: dict[str, Any], ports: list[dict[str, Any]],
          subnets: dict[str, dict[str, Any]], cfg: AgentConfig) -> DhcpPlan:
    mine = [p for p in ports if p["network_id"] == net["id"]
            and p["device_owner"] == DHCP_OWNER and p["host"] == cfg.host]
    served = [s for s in net["subnets"] if s["enable_dhcp"]]
    leg = _leg(mine[0], names.dhcp_leg(mine[0]["id"]), net, subnets) if mine else None
    have = {a.subnet_id for a in leg.addresses} if leg else set()
    needs = leg is None or any(s["id"] not in have for s in served)
    hosts = []
    for port in ports:
        if port["network_id"] != net["id"] or port["device_owner"] == DHCP_OWNER:
            continue
        for ip in port["fixed_ips"]:
            if ip["subnet_id"] in {s["id"] for s in served}:
                hosts.append(HostEntry(port["mac_address"], ip["ip_address"],
                                       port.get("hostname") or ""))
    return DhcpPlan(net["id"], names.dhcp_ns(net["id"]), leg, tuple(served), tuple(hosts),
                    not net.get("routed"), needs)


def _router(router: dict[str, Any], nets: dict[str, dict[str, Any]],
            subnets: dict[str, dict[str, Any]], cfg: AgentConfig) -> RouterPlan:
    legs = tuple(_leg(p, names.interface_leg(p["id"]), nets[p["network_id"]], subnets)
                 for p in router["interfaces"] if p["network_id"] in nets)
    gw_port = router.get("gateway")
    gateway = gateway_ip = None
    if gw_port and gw_port["network_id"] in nets:
        gateway = _leg(gw_port, names.gateway_leg(gw_port["id"]), nets[gw_port["network_id"]],
                       subnets)
        v4 = [subnets[a.subnet_id] for a in gateway.addresses if a.version == 4]
        gateway_ip = v4[0]["gateway_ip"] if v4 else None
    own = list(router["interfaces"]) + ([gw_port] if gw_port else [])
    return RouterPlan(
        router["id"], names.router_ns(router["id"]), legs, gateway, gateway_ip,
        bool(router["enable_snat"]) and gateway is not None,
        tuple((f["floating_ip_address"], f["fixed_ip_address"])
              for f in router.get("floating_ips", []) if f.get("fixed_ip_address")),
        tuple((r["destination"], r["nexthop"]) for r in router.get("routes", [])),
        any(p["host"] != cfg.host for p in own), _advertised(legs, subnets))


def _advertised(legs: tuple[Leg, ...],
                subnets: dict[str, dict[str, Any]]) -> tuple[Advertised, ...]:
    """What the router announces: on each interface, the IPv6 subnets it has an address
    in whose ``ipv6_ra_mode`` is set (without it something else sends the RAs)."""
    out: list[Advertised] = []
    seen: set[tuple[str, str]] = set()
    for leg in legs:
        for a in leg.addresses:
            sub = subnets.get(a.subnet_id)
            if a.version != 6 or sub is None or not sub.get("ipv6_ra_mode") \
                    or (leg.inner, sub["id"]) in seen:
                continue
            seen.add((leg.inner, sub["id"]))
            out.append(Advertised(leg.inner, sub["id"], str(ipaddress.ip_network(
                sub["cidr"], strict=False)), str(sub["ipv6_ra_mode"]), leg.mtu,
                tuple(ns for ns in sub.get("dns_nameservers") or ()
                      if ipaddress.ip_address(ns).version == 6)))
    return tuple(out)
