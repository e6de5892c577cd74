"""DHCP with dnsmasq, one per network inside ``qdhcp-<network>``: the files (pure
rendering) and the process (started once, SIGHUP on host or option changes, restarted
when its main configuration changes, stopped by the pid it recorded). The same process
manager runs the routers' advertisement daemons (:mod:`.ra`), one kind per directory."""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from runtime.network.agent.plan import DhcpPlan

log = logging.getLogger("haneul.network.agent")

METADATA_IP = "169.254.169.254"


class Files(Protocol):
    """What a dnsmasq runs from: its main configuration (a change restarts it) and the
    files it reads again on SIGHUP, by name in its directory."""

    @property
    def conf(self) -> str: ...

    def data(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class DhcpFiles:
    conf: str
    hosts: str
    opts: str

    def data(self) -> dict[str, str]:
        return {"host": self.hosts, "opts": self.opts}


def _tag(subnet_id: str) -> str:
    return "subnet-" + subnet_id


def render(dhcp: DhcpPlan, directory: Path, domain: str, lease_time: int) -> DhcpFiles:
    """dnsmasq's files for one network (``dhcp.leg`` must be set)."""
    assert dhcp.leg is not None
    conf = [
        "# Written by the haneul network agent; changes are overwritten.",
        "no-resolv", "no-hosts", "port=0", "bind-interfaces", "except-interface=lo",
        f"interface={dhcp.leg.inner}",
        # Its files live in the agent's private state directory, which dnsmasq must read
        # again on every SIGHUP: it keeps its privileges rather than becoming nobody.
        "user=root",
        f"pid-file={directory / 'pid'}", f"dhcp-hostsfile={directory / 'host'}",
        f"dhcp-optsfile={directory / 'opts'}", f"dhcp-leasefile={directory / 'leases'}",
        "dhcp-lease-max=16777216", f"domain={domain}",
    ]
    opts: list[str] = []
    leg_ips = {a.subnet_id: a.ip for a in dhcp.leg.addresses}
    for sub in dhcp.subnets:
        tag, net = _tag(sub["id"]), ipaddress.ip_network(sub["cidr"], strict=False)
        if sub["ip_version"] == 4:
            conf.append(f"dhcp-range=set:{tag},{net.network_address},static,{net.netmask},"
                        f"{lease_time}s")
            opts.append(f"tag:{tag},option:mtu,{dhcp.leg.mtu}")
            routes = [(r["destination"], r["nexthop"]) for r in sub["host_routes"]]
            if dhcp.isolated and sub["id"] in leg_ips:
                routes.append((f"{METADATA_IP}/32", leg_ips[sub["id"]]))
            if sub.get("gateway_ip"):
                opts.append(f"tag:{tag},option:router,{sub['gateway_ip']}")
                if routes:  # with option 121 clients ignore option 3: repeat the default
                    routes.append(("0.0.0.0/0", sub["gateway_ip"]))
            else:
                opts.append(f"tag:{tag},option:router")
            if routes:
                opts.append(f"tag:{tag},option:classless-static-route," +
                            ",".join(f"{d},{h}" for d, h in routes))
            if sub["dns_nameservers"]:
                opts.append(f"tag:{tag},option:dns-server," + ",".join(sub["dns_nameservers"]))
            continue
        mode = sub.get("ipv6_address_mode") or sub.get("ipv6_ra_mode")
        if mode is None:
            continue
        if "enable-ra" not in conf:
            # Router advertisements for addresses, never as a default router: the DHCP
            # namespace forwards nothing (router lifetime 0). They go on when a router
            # also announces the subnet (its ipv6_ra_mode set, :mod:`.ra`): both derive
            # the flags from the same subnet mode (the API refuses differing ra and
            # address modes), a lifetime-0 RA leaves the router's default route alone
            # (RFC 4861 keeps one entry per router), and addresses keep coming when the
            # router's host is away. Per subnet they could not go anyway: with
            # enable-ra (needed for the M flag) dnsmasq announces every static range.
            conf += ["enable-ra", f"ra-param={dhcp.leg.inner},mtu:{dhcp.leg.mtu},60,0"]
        plen = net.prefixlen
        if mode == "slaac":
            conf.append(f"dhcp-range=set:{tag},{net.network_address},ra-only,{plen},"
                        f"{lease_time}s")
        elif mode == "dhcpv6-stateless":
            conf.append(f"dhcp-range=set:{tag},{net.network_address},ra-stateless,{plen},"
                        f"{lease_time}s")
        else:  # dhcpv6-stateful: addresses only to the ports we know
            conf.append(f"dhcp-range=set:{tag},{net.network_address},static,{plen},"
                        f"{lease_time}s")
        if sub["dns_nameservers"]:
            opts.append(f"tag:{tag},option6:dns-server," +
                        ",".join(f"[{ns}]" for ns in sub["dns_nameservers"]))
    hosts = []
    for h in sorted(dhcp.hosts, key=lambda h: (h.mac, h.ip)):
        ip = f"[{h.ip}]" if ":" in h.ip else h.ip
        name = f",{h.hostname}" if h.hostname else ""
        hosts.append(f"{h.mac},{ip}{name}")
    return DhcpFiles("\n".join(conf) + "\n", "\n".join(hosts) + "\n", "\n".join(opts) + "\n")


def _write(path: Path, text: str) -> bool:
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


def stale_leases(leases: Path, hosts: str) -> set[str]:
    """IPv4 lease lines (``expiry mac ip name client-id``) whose MAC and address are no
    longer a host entry: leases of deleted ports, or of an address now someone else's."""
    wanted = set()
    for line in hosts.splitlines():
        fields = line.split(",")
        if len(fields) >= 2:
            wanted.add((fields[0].lower(), fields[1]))
    try:
        lines = leases.read_text().splitlines()
    except FileNotFoundError:
        return set()
    stale = set()
    for line in lines:
        fields = line.split()
        # IPv6 lines carry no MAC (duid, then iaid): left to dnsmasq.
        if len(fields) >= 3 and fields[1].count(":") == 5 and "." in fields[2] \
                and (fields[1].lower(), fields[2]) not in wanted:
            stale.add(line)
    return stale


def _drop_leases(leases: Path, stale: set[str]) -> None:
    kept = [line for line in leases.read_text().splitlines() if line not in stale]
    _write(leases, "".join(line + "\n" for line in kept))


def running(directory: Path) -> int | None:
    """The pid of this directory's dnsmasq, checked against its command line (a stale
    pid file never makes us signal another process)."""
    try:
        pid = int((directory / "pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    conf = f"--conf-file={directory / 'conf'}".encode()
    if cmdline and cmdline[0].endswith(b"dnsmasq") and conf in cmdline:
        return pid
    return None


class Dnsmasq:
    """The dnsmasq processes of one kind, each in ``root/<kind>/<id>``: ``dhcp`` per
    network (the default), ``ra`` per router."""

    def __init__(self, program: str, root: Path, kind: str = "dhcp") -> None:
        self.program = program
        self.root = root
        self.kind = kind

    def of_kind(self, kind: str) -> Dnsmasq:
        """The same program and state directory, for another kind of daemon."""
        return Dnsmasq(self.program, self.root, kind)

    def directory(self, ident: str) -> Path:
        return self.root / self.kind / ident

    def known(self) -> list[str]:
        base = self.root / self.kind
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.exists() else []

    def ensure(self, namespace: str, ident: str, files: Files) -> str:
        """Make dnsmasq run with these files; what it did ('started', 'restarted',
        'reloaded' or 'unchanged')."""
        d = self.directory(ident)
        d.mkdir(parents=True, exist_ok=True)
        conf_changed = _write(d / "conf", files.conf)
        data = files.data()
        data_changed = False
        for name, text in data.items():
            data_changed |= _write(d / name, text)
        pid = running(d)
        if pid is not None and data_changed and "host" in data:
            # dnsmasq keeps leases of ports that are gone, and offers no address that
            # another MAC holds a lease on: a new port given a freed address would get
            # nothing until that lease ran out. Neutron sends dhcp_release for deleted
            # ports; here the stale leases leave the lease file across a restart.
            stale = stale_leases(d / "leases", data["host"])
            if stale:
                self._stop(pid)
                _drop_leases(d / "leases", stale)
                self._start(namespace, d)
                return "restarted"
        if pid is not None and conf_changed:
            self._stop(pid)
            pid = None
            self._start(namespace, d)
            return "restarted"
        if pid is None:
            self._start(namespace, d)
            return "started"
        if data_changed:
            os.kill(pid, signal.SIGHUP)
            return "reloaded"
        return "unchanged"

    def _start(self, namespace: str, d: Path) -> None:
        (d / "pid").unlink(missing_ok=True)
        # dnsmasq forks into the background and records its own pid: it outlives agent
        # restarts, so guests keep their leases while the agent is away.
        subprocess.run(["ip", "netns", "exec", namespace, self.program,
                        f"--conf-file={d / 'conf'}"], check=True, capture_output=True,
                       timeout=30)
        deadline = time.monotonic() + 10
        while running(d) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"dnsmasq ({self.kind}) for {d.name} did not start")
            time.sleep(0.02)

    def stop(self, ident: str) -> None:
        d = self.directory(ident)
        pid = running(d)
        if pid is not None:
            self._stop(pid)
        for name in ("conf", "host", "opts", "leases", "pid"):
            (d / name).unlink(missing_ok=True)
        if d.exists():
            for leftover in d.iterdir():
                leftover.unlink()
            d.rmdir()

    @staticmethod
    def _stop(pid: int) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie, left to an init that does not reap, is
    gone for our purposes)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
