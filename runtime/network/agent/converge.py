"""Make this host match a :class:`HostPlan`: bridges and uplinks (L2), DHCP namespaces
and dnsmasq, router namespaces with NAT, the security group tables; then remove what
carries this agent's prefixes but is no longer wanted. Every step compares before it
changes, so a converged host is left alone (an agent restart disturbs no traffic)."""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from runtime.network.agent import dhcp, firewall, ip, l3, names, ra
from runtime.network.agent.owned import OwnedNamespaces
from runtime.network.agent.plan import AgentConfig, DhcpPlan, HostPlan, Leg, RouterPlan

log = logging.getLogger("haneul.network.agent")

METADATA_CIDR = "169.254.169.254/32"


@dataclass
class Outcome:
    """What a pass found: port statuses, and what the controller must do first."""

    statuses: dict[str, str] = field(default_factory=dict)
    need_dhcp_ports: list[str] = field(default_factory=list)
    need_router_claims: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def nft(namespace: str | None, ruleset: str) -> None:
    ip.run_in(namespace, ["nft", "-f", "-"], stdin=ruleset)


class Converger:
    def __init__(self, cfg: AgentConfig, dnsmasq: dhcp.Dnsmasq,
                 metadata: Callable[[str, str, str], None] | None = None,
                 metadata_stop: Callable[[str], None] | None = None) -> None:
        self.cfg = cfg
        self.dnsmasq = dnsmasq
        self.ra = dnsmasq.of_kind(ra.KIND)  # routers' advertisement daemons
        self.owned = OwnedNamespaces(dnsmasq.root / "namespaces.json")
        # Called with (namespace, "router"|"network", id) for each namespace that serves
        # 169.254.169.254, and with the namespace when it goes away.
        self.metadata = metadata
        self.metadata_stop = metadata_stop
        self._applied: dict[str | None, str] = {}  # last nft input per namespace
        self._refused: set[str] = set()
        self._forwarding: set[str] = set()  # router namespaces with forwarding on
        # (floating, fixed) pairs each router namespace NATs, as last converged.
        self._floating: dict[str, set[tuple[str, str]]] = {}
        self._handles: dict[str, ip.Host] = {}  # netlink in namespaces, for one pass
        self._firewall_lock = threading.Lock()

    def _inside(self, ns: str) -> ip.Host:
        handle = self._handles.get(ns)
        if handle is None:
            handle = self._handles[ns] = ip.Host(ns)
        return handle

    def _forget(self, ns: str) -> None:
        handle = self._handles.pop(ns, None)
        if handle is not None:
            handle.close()

    def converge(self, plan: HostPlan) -> Outcome:
        try:
            return self._converge(plan)
        finally:
            for ns in list(self._handles):
                self._forget(ns)

    def _converge(self, plan: HostPlan) -> Outcome:
        out = Outcome()
        with contextlib.closing(ip.Host()) as host:
            bridges = self._l2(host, plan, out)
            # Security groups first: a rule change must not wait behind namespaces.
            self._step(out, "security groups", self._firewall, host, plan)
            for d in plan.dhcp:
                self._step(out, f"DHCP of network {d.network_id}", self._dhcp, host, bridges,
                           d, out)
            for r in plan.routers:
                self._step(out, f"router {r.id}", self._router, host, bridges, r, out)
            self._step(out, "cleanup", self._cleanup, host, plan)
            links = host.links()
            for port in plan.ports:
                link = links.get(port.device)
                up = port.admin_up and link is not None and link.up and link.master == (
                    links[port.bridge].index if port.bridge in links else -1)
                out.statuses[port.id] = "ACTIVE" if up else "DOWN"
        return out

    @staticmethod
    def _step(out: Outcome, what: str, fn: Callable[..., None], *args: object) -> None:
        started = time.monotonic()
        try:
            fn(*args)
            took = time.monotonic() - started
            if took > 0.2:
                log.info("%s took %.2fs", what, took)
        except Exception as exc:  # one broken piece must not stop the others
            log.exception("%s failed", what)
            out.errors.append(f"{what}: {exc}")

    # L2 ------------------------------------------------------------------------------

    def _l2(self, host: ip.Host, plan: HostPlan, out: Outcome) -> dict[str, ip.Link]:
        for net_id, why in plan.refused.items():
            if net_id not in self._refused:
                log.error("network %s is not built on this host: %s", net_id, why)
        self._refused = set(plan.refused)
        made: dict[str, ip.Link] = {}
        for b in plan.bridges.values():
            try:
                link = host.ensure_bridge(b.name, b.mtu)
                if b.uplink_kind == "vxlan" and b.uplink and b.vni is not None:
                    assert self.cfg.local_ip is not None
                    host.ensure_vxlan(b.uplink, b.vni, self.cfg.local_ip, self.cfg.vxlan_port,
                                      b.mtu, link, b.remotes)
                elif b.uplink_kind == "vlan" and b.uplink and b.vlan_parent and b.vlan_id:
                    host.ensure_vlan(b.uplink, b.vlan_parent, b.vlan_id, b.mtu, link)
                elif b.uplink_kind == "physical" and b.uplink and \
                        not host.enslave(b.uplink, link):
                    raise RuntimeError(f"physical interface {b.uplink} does not exist")
                made[b.name] = link
            except Exception as exc:
                log.exception("bridge %s of network %s failed", b.name, b.network_id)
                out.errors.append(f"bridge {b.name}: {exc}")
        for port in plan.ports:
            # libvirt plugs the tap into the bridge; after a bridge was remade (or when
            # the tap came first) the agent puts it back.
            bridge = made.get(port.bridge)
            if bridge is not None:
                host.enslave(port.device, bridge)
        return made

    def _leg(self, host: ip.Host, bridges: dict[str, ip.Link], ns: str, leg: Leg,
             extra: list[str] | None = None) -> None:
        bridge = bridges.get(leg.bridge)
        if bridge is None:
            raise RuntimeError(f"bridge {leg.bridge} of network {leg.network_id} is missing")
        inside = self._inside(ns)
        host.ensure_leg(leg.outer, leg.inner, inside, bridge, leg.mac, leg.mtu)
        inside.ensure_addresses(leg.inner, ip.cidrs(leg.addresses) + (extra or []))

    def _prune_legs(self, ns: str, keep: set[str], prefixes: tuple[str, ...]) -> None:
        inside = self._inside(ns)
        for name in inside.links():
            if name.startswith(prefixes) and name not in keep:
                inside.delete(name)  # its peer in the bridge goes with it

    # DHCP ----------------------------------------------------------------------------

    def _dhcp(self, host: ip.Host, bridges: dict[str, ip.Link], d: DhcpPlan,
              out: Outcome) -> None:
        if d.needs_port:
            out.need_dhcp_ports.append(d.network_id)
        if d.leg is None:
            return
        self._ensure_namespace(d.namespace)
        self._leg(host, bridges, d.namespace, d.leg)
        self._prune_legs(d.namespace, {d.leg.inner}, (names.DHCP_LEG_PREFIX,))
        metadata = self.cfg.metadata and d.isolated
        self._inside(d.namespace).ensure_address("lo", METADATA_CIDR, metadata)
        files = dhcp.render(d, self.dnsmasq.directory(d.network_id), self.cfg.dns_domain,
                            self.cfg.lease_time)
        done = self.dnsmasq.ensure(d.namespace, d.network_id, files)
        if done != "unchanged":
            log.info("dnsmasq of network %s %s", d.network_id, done)
        if metadata and self.metadata is not None:
            self.metadata(d.namespace, "network", d.network_id)
        elif self.metadata_stop is not None:
            self.metadata_stop(d.namespace)

    # L3 ------------------------------------------------------------------------------

    def _router(self, host: ip.Host, bridges: dict[str, ip.Link], r: RouterPlan,
                out: Outcome) -> None:
        if r.unclaimed:
            out.need_router_claims.append(r.id)
        if self._ensure_namespace(r.namespace) or r.namespace not in self._forwarding:
            # Forwarding inside the router's namespace only, never the host's.
            ip.sysctl(r.namespace, "net.ipv4.ip_forward", "1")
            ip.sysctl(r.namespace, "net.ipv6.conf.all.forwarding", "1")
            self._forwarding.add(r.namespace)
        keep = set()
        for leg in r.interfaces:
            self._leg(host, bridges, r.namespace, leg)
            keep.add(leg.inner)
        if r.gateway is not None:
            self._leg(host, bridges, r.namespace, r.gateway,
                      [f"{fip}/32" for fip, _ in r.floating_ips])
            keep.add(r.gateway.inner)
        self._prune_legs(r.namespace, keep,
                         (names.INTERFACE_LEG_PREFIX, names.GATEWAY_LEG_PREFIX))
        inside = self._inside(r.namespace)
        inside.ensure_address("lo", METADATA_CIDR, self.cfg.metadata)
        routes = {dst: via for dst, via in r.routes if ":" not in dst}
        if r.gateway is not None and r.gateway_ip:
            routes["0.0.0.0/0"] = r.gateway_ip
        inside.ensure_routes(routes)
        ruleset = l3.render(r)
        if self._applied.get(r.namespace) != ruleset:
            nft(r.namespace, ruleset)
            self._applied[r.namespace] = ruleset
        self._forget_floating_flows(r)
        self._advertise(r)
        if self.cfg.metadata and self.metadata is not None:
            self.metadata(r.namespace, "router", r.id)

    def _advertise(self, r: RouterPlan) -> None:
        """The router's RA dnsmasq: running while it announces something, else gone."""
        files = ra.render(r, self.ra.directory(r.id))
        if files is None:
            self.ra.stop(r.id)  # nothing (left) to announce; a no-op when none runs
            return
        done = self.ra.ensure(r.namespace, r.id, files)
        if done != "unchanged":
            log.info("router advertisements of router %s %s", r.id, done)

    def _forget_floating_flows(self, r: RouterPlan) -> None:
        """Connections NATed for a floating IP keep their translation in conntrack after
        the IP moves or goes: drop them, so that a disassociated address stops reaching
        the guest at once (Neutron's L3 agent does the same)."""
        now = set(r.floating_ips)
        before = self._floating.get(r.namespace)
        self._floating[r.namespace] = now
        if before is None:
            return  # first look at this router (agent start): nothing known to be stale
        gone = before - now
        if gone and shutil.which("conntrack") is None:
            log.warning("conntrack is not installed: connections of removed floating IPs "
                        "keep their translation until they end")
            return
        for fip, _fixed in gone:
            # -d: flows to the floating IP (DNAT); -q: replies to it (the guest's SNAT).
            for match in ("-d", "-q"):
                with contextlib.suppress(RuntimeError):  # conntrack fails when none match
                    ip.run_in(r.namespace, ["conntrack", "-D", match, fip])

    # Security groups -----------------------------------------------------------------

    def filter_only(self, plan: HostPlan) -> None:
        """Just the security group tables: run on every change ahead of (and besides) the
        full pass, so that rule changes land within 2 s however long a pass takes."""
        with contextlib.closing(ip.Host()) as host:
            self._firewall(host, plan)

    def _firewall(self, host: ip.Host, plan: HostPlan) -> None:
        with self._firewall_lock:
            links = host.links()
            zones = {b: links[b].index & 0xFFFF for b in plan.bridges if b in links}
            ruleset = firewall.render(plan.ports, plan.security_groups, plan.remote_groups,
                                      zones)
            if self._applied.get(None) != ruleset or not _tables_present():
                ip.bridge_netfilter()
                nft(None, ruleset)
                self._applied[None] = ruleset

    # Resync --------------------------------------------------------------------------

    def _cleanup(self, host: ip.Host, plan: HostPlan) -> None:
        # Namespaces first: their legs leave the bridges, which can then go too.
        self._cleanup_namespaces(plan)
        self._cleanup_links(host, plan)

    def _cleanup_namespaces(self, plan: HostPlan) -> None:
        present = [ns for ns in ip.namespaces() if ns in self.owned]
        if self.cfg.dhcp:
            wanted = {d.namespace for d in plan.dhcp if d.leg is not None}
            for ns in present:
                if ns.startswith(names.DHCP_NS_PREFIX) and ns not in wanted:
                    self._drop_namespace(ns)
            served = {d.network_id for d in plan.dhcp}
            for net_id in self.dnsmasq.known():
                if net_id not in served:
                    self.dnsmasq.stop(net_id)
        if self.cfg.l3:
            wanted = {r.namespace for r in plan.routers}
            for ns in present:
                if ns.startswith(names.ROUTER_NS_PREFIX) and ns not in wanted:
                    self._drop_namespace(ns)
            routers = {r.id for r in plan.routers}
            for router_id in self.ra.known():
                if router_id not in routers:
                    self.ra.stop(router_id)

    def _cleanup_links(self, host: ip.Host, plan: HostPlan) -> None:
        wanted_links = set(plan.bridges) | {b.uplink for b in plan.bridges.values()
                                            if b.uplink_kind in ("vxlan", "vlan") and b.uplink}
        links = host.links()
        for name, link in links.items():
            if name in wanted_links:
                continue
            if name.startswith(names.VXLAN_PREFIX) and link.kind == "vxlan":
                log.info("removing %s, which no network here needs", name)
                host.delete(name)
        links = host.links()
        for name, link in links.items():
            if name in wanted_links or not (name.startswith(names.BRIDGE_PREFIX)
                                            and link.kind == "bridge"):
                continue
            # A guest's tap still in it: compute may have made the bridge for a port whose
            # binding this agent has not seen yet. Left alone until the tap goes.
            members = [n for n, other in links.items() if other.master == link.index]
            if any(m.startswith(names.TAP_PREFIX) for m in members):
                continue
            log.info("removing %s, which no network here needs", name)
            host.delete(name)

    def teardown(self) -> list[str]:
        """Remove everything an agent builds on this host, whatever the controller wants
        (``haneul agent network --cleanup``, run by the installer's destroy; Neutron's
        netns-cleanup and linuxbridge-cleanup in one), and say what went. A bridge that
        still holds a guest's tap stays: the guest is compute's to remove first."""
        removed = [ns for ns in ip.namespaces() if ns in self.owned]
        for ns in removed:
            self._drop_namespace(ns)
        self.owned.clear()  # what was recorded but is gone already: forgotten too
        for net_id in self.dnsmasq.known():
            self.dnsmasq.stop(net_id)
        for router_id in self.ra.known():
            self.ra.stop(router_id)
        with contextlib.closing(ip.Host()) as host:
            before = set(host.links())
            self._cleanup_links(host, HostPlan())
            removed += sorted(before - set(host.links()))
        if _tables_present():
            removed += [names.PORTS_TABLE, names.FILTER_TABLE]
        for family, table in (("bridge", names.PORTS_TABLE), ("inet", names.FILTER_TABLE)):
            nft(None, firewall.empty(family, table))
        self._applied.clear()
        return removed

    def _ensure_namespace(self, ns: str) -> bool:
        self.owned.add(ns)
        return ip.ensure_namespace(ns)

    def _drop_namespace(self, ns: str) -> None:
        log.info("removing namespace %s, which nothing here needs", ns)
        if ns.startswith(names.DHCP_NS_PREFIX):
            self.dnsmasq.stop(ns[len(names.DHCP_NS_PREFIX):])
        if ns.startswith(names.ROUTER_NS_PREFIX):
            self.ra.stop(ns[len(names.ROUTER_NS_PREFIX):])
        if self.metadata_stop is not None:
            self.metadata_stop(ns)
        inside = self._inside(ns)
        for name in inside.links():
            if name != "lo":
                inside.delete(name)  # veth peers in our bridges go too
        self._forget(ns)
        ip.remove_namespace(ns)
        self.owned.discard(ns)
        self._applied.pop(ns, None)
        self._forwarding.discard(ns)
        self._floating.pop(ns, None)


def _tables_present() -> bool:
    """Whether our tables are still loaded (someone may have flushed the ruleset)."""
    listed = ip.run_in(None, ["nft", "list", "tables"])
    return f"table bridge {names.PORTS_TABLE}" in listed and \
        f"table inet {names.FILTER_TABLE}" in listed
