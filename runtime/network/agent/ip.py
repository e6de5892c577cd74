"""The kernel side, through pyroute2: links, bridges, VXLAN and its flooding entries,
namespaces, veth legs, addresses and routes. Every call compares before it changes, so a
pass over an already converged host changes nothing (and disturbs no traffic)."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyroute2 import IPRoute, NetlinkError, NetNS, netns

from runtime.network.agent.plan import Address

log = logging.getLogger("haneul.network.agent")

ZERO_MAC = "00:00:00:00:00:00"
MAIN_TABLE = 254


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    kind: str | None
    master: int | None
    mac: str | None
    mtu: int
    up: bool


def _links(ipr: Any) -> dict[str, Link]:
    out = {}
    for msg in ipr.get_links():
        info = msg.get_attr("IFLA_LINKINFO")
        kind = info.get_attr("IFLA_INFO_KIND") if info is not None else None
        name = msg.get_attr("IFLA_IFNAME")
        out[name] = Link(msg["index"], name, kind, msg.get_attr("IFLA_MASTER"),
                         msg.get_attr("IFLA_ADDRESS"), int(msg.get_attr("IFLA_MTU") or 0),
                         bool(msg["flags"] & 1))
    return out


def namespaces() -> list[str]:
    return sorted(netns.listnetns())


def ensure_namespace(name: str) -> bool:
    """Make the namespace (with its loopback up) unless it exists; whether it was made."""
    if name in netns.listnetns():
        return False
    netns.create(name)
    with NetNS(name) as ns:
        lo = ns.link_lookup(ifname="lo")
        if lo:
            ns.link("set", index=lo[0], state="up")
    return True


def remove_namespace(name: str) -> None:
    if name in netns.listnetns():
        netns.remove(name)


def run_in(namespace: str | None, argv: list[str], stdin: str | None = None) -> str:
    cmd = (["ip", "netns", "exec", namespace] if namespace else []) + argv
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout


def sysctl(namespace: str | None, key: str, value: str) -> None:
    """Set a sysctl inside ``namespace`` (the agent's own when None), if different."""
    path = "/proc/sys/" + key.replace(".", "/")
    if namespace is None:
        with open(path) as f:
            if f.read().strip() == value:
                return
        with open(path, "w") as f:
            f.write(value)
        return
    current = run_in(namespace, ["cat", path]).strip()
    if current != value:
        run_in(namespace, ["sysctl", "-q", "-w", f"{key}={value}"])


def bridge_netfilter() -> None:
    """Hand bridged IP traffic to the inet tables and conntrack (br_netfilter): this
    kernel has no bridge-family conntrack, and security groups are stateful. It applies
    to every bridge of the namespace; with an accepting policy others are unaffected."""
    if not os.path.exists("/proc/sys/net/bridge"):
        subprocess.run(["modprobe", "br_netfilter"], capture_output=True, timeout=30)
    if not os.path.exists("/proc/sys/net/bridge"):
        raise RuntimeError("security groups need br_netfilter, which this kernel lacks")
    for key in ("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables"):
        sysctl(None, key, "1")


def vlan_supported() -> bool:
    """Whether this kernel makes 802.1Q devices (probed in a throwaway namespace)."""
    probe = f"haneul-probe-{os.getpid()}"
    netns.create(probe)
    try:
        with NetNS(probe) as ns:
            ns.link("add", ifname="probe0", kind="veth", peer="probe1")
            index = ns.link_lookup(ifname="probe0")[0]
            try:
                ns.link("add", ifname="probe0.5", kind="vlan", link=index, vlan_id=5)
            except NetlinkError:
                return False
            return True
    finally:
        netns.remove(probe)


class Host:
    """One network namespace's links (the agent's own when ``namespace`` is None)."""

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace
        self.ipr: Any = NetNS(namespace) if namespace else IPRoute()

    def close(self) -> None:
        self.ipr.close()

    def links(self) -> dict[str, Link]:
        return _links(self.ipr)

    def link(self, name: str) -> Link | None:
        return self.links().get(name)

    def delete(self, name: str) -> None:
        found = self.link(name)
        if found is not None:
            self.ipr.link("del", index=found.index)

    def _set(self, link: Link, **changes: Any) -> None:
        wanted = {k: v for k, v in changes.items() if v is not None}
        diff = {}
        for key, value in wanted.items():
            have = {"mtu": link.mtu, "master": link.master, "address": link.mac,
                    "state": "up" if link.up else "down"}[key]
            if have != value:
                diff[key] = value
        if diff:
            self.ipr.link("set", index=link.index, **diff)

    def ensure_bridge(self, name: str, mtu: int) -> Link:
        link = self.link(name)
        if link is None:
            self.ipr.link("add", ifname=name, kind="bridge")
            link = self.link(name)
            assert link is not None
        self._set(link, mtu=mtu, state="up")
        return self.link(name) or link

    def ensure_vxlan(self, name: str, vni: int, local: str, port: int, mtu: int,
                     bridge: Link, remotes: tuple[str, ...]) -> None:
        link = self.link(name)
        if link is not None and link.kind != "vxlan":
            self.ipr.link("del", index=link.index)
            link = None
        if link is None:
            self.ipr.link("add", ifname=name, kind="vxlan", vxlan_id=vni, vxlan_local=local,
                          vxlan_port=port, vxlan_learning=1)
            link = self.link(name)
            assert link is not None
        self._set(link, mtu=mtu, master=bridge.index, state="up")
        # Unicast flooding: one all-zero entry per other host; learning does the rest.
        have = {f.get_attr("NDA_DST") for f in self.ipr.fdb("dump", ifindex=link.index)
                if f.get_attr("NDA_LLADDR") == ZERO_MAC and f.get_attr("NDA_DST")}
        for ip in sorted(set(remotes) - have):
            self.ipr.fdb("append", ifindex=link.index, lladdr=ZERO_MAC, dst=ip)
        for ip in sorted(have - set(remotes)):
            self.ipr.fdb("del", ifindex=link.index, lladdr=ZERO_MAC, dst=ip)

    def ensure_vlan(self, name: str, parent: str, vid: int, mtu: int, bridge: Link) -> None:
        link = self.link(name)
        if link is None:
            up = self.link(parent)
            if up is None:
                raise RuntimeError(f"physical interface {parent} does not exist")
            self.ipr.link("add", ifname=name, kind="vlan", link=up.index, vlan_id=vid)
            link = self.link(name)
            assert link is not None
        self._set(link, mtu=mtu, master=bridge.index, state="up")

    def enslave(self, name: str, bridge: Link, mtu: int | None = None) -> bool:
        """Put an existing device into the bridge; False if it does not exist."""
        link = self.link(name)
        if link is None:
            return False
        self._set(link, master=bridge.index, state="up", mtu=mtu)
        return True

    def ensure_leg(self, outer: str, inner: str, inside: Host, bridge: Link, mac: str,
                   mtu: int) -> None:
        """A veth with ``outer`` in the bridge here and ``inner`` in ``inside``'s
        namespace."""
        assert inside.namespace is not None
        link = self.link(outer)
        peer = inside.link(inner)
        if link is not None and peer is None:
            self.ipr.link("del", index=link.index)  # half a leg: make it again
            link = None
        if link is None:
            if peer is not None:
                inside.ipr.link("del", index=peer.index)
            self.ipr.link("add", ifname=outer, kind="veth",
                          peer={"ifname": inner, "net_ns_fd": inside.namespace})
            link = self.link(outer)
            peer = inside.link(inner)
            assert link is not None and peer is not None
        assert peer is not None
        inside._set(peer, address=mac, mtu=mtu, state="up")
        self._set(link, master=bridge.index, mtu=mtu, state="up")

    def addresses(self, name: str) -> set[str]:
        link = self.link(name)
        if link is None:
            return set()
        return {f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                for a in self.ipr.get_addr(index=link.index)
                if a["scope"] == 0}  # global: the kernel's own link-local stays

    def ensure_addresses(self, name: str, wanted: list[str]) -> None:
        link = self.link(name)
        if link is None:
            raise RuntimeError(f"{name} does not exist")
        have = self.addresses(name)
        for cidr in sorted(have - set(wanted)):
            ip, plen = cidr.split("/")
            self.ipr.addr("del", index=link.index, address=ip, prefixlen=int(plen))
        for cidr in sorted(set(wanted) - have):
            ip, plen = cidr.split("/")
            self.ipr.addr("add", index=link.index, address=ip, prefixlen=int(plen))

    def ensure_address(self, name: str, cidr: str, present: bool) -> None:
        """One address (say 169.254.169.254/32 on lo), leaving the others alone."""
        link = self.link(name)
        if link is None:
            raise RuntimeError(f"{name} does not exist")
        have = {f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                for a in self.ipr.get_addr(index=link.index)}
        ip, plen = cidr.split("/")
        if present and cidr not in have:
            self.ipr.addr("add", index=link.index, address=ip, prefixlen=int(plen))
        elif not present and cidr in have:
            self.ipr.addr("del", index=link.index, address=ip, prefixlen=int(plen))

    def routes(self, family: int = 2) -> Iterator[tuple[str, str | None]]:
        """Gateway routes of the main table as (destination/len, gateway)."""
        for r in self.ipr.get_routes(family=family, table=MAIN_TABLE):
            gw = r.get_attr("RTA_GATEWAY")
            if r.get_attr("RTA_TABLE") != MAIN_TABLE or gw is None:
                continue
            dst = r.get_attr("RTA_DST") or ("0.0.0.0" if family == 2 else "::")
            yield f"{dst}/{r['dst_len']}", gw

    def ensure_routes(self, wanted: dict[str, str], family: int = 2) -> None:
        """Make the gateway routes of the main table exactly ``wanted`` (dst -> via)."""
        have = dict(self.routes(family))
        for dst, gw in have.items():
            if wanted.get(dst) != gw:
                self.ipr.route("del", dst=dst, gateway=gw)
        for dst, gw in wanted.items():
            if have.get(dst) != gw:
                try:
                    self.ipr.route("replace", dst=dst, gateway=gw)
                except NetlinkError as exc:
                    log.warning("route %s via %s in %s: %s", dst, gw, self.namespace, exc)


def cidrs(addresses: tuple[Address, ...]) -> list[str]:
    return [a.cidr for a in addresses]
