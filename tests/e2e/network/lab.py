"""A network lab made of namespaces this test session creates (and deletes): hosts joined
by an underlay bridge, guests as namespaces plugged into tap-named veths on the hosts,
an "external" namespace, and network agents running inside the host namespaces.

The controller runs in the test's own namespace on loopback; each host reaches it through
a forwarder whose listening socket lives in that host's namespace (no device joins the
test's namespace, and no traffic leaves the namespaces made here)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import BIN

PREFIX = "hgn" + uuid.uuid4().hex[:4]  # unique per session: names never collide
UDHCPC_SCRIPT = """#!/bin/sh
# udhcpc hook: configure what the DHCP server handed out.
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    if [ -n "$router" ]; then ip route replace default via "${router%% *}" dev "$interface"; fi
    # Classless static routes (option 121): "dest/len gateway" pairs.
    set -- $staticroutes
    while [ $# -ge 2 ]; do ip route replace "$1" via "$2" dev "$interface"; shift 2; done
    ;;
esac
exit 0
"""


def sh(*argv: str, ns: str | None = None, check: bool = True, timeout: float = 30,
       input: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({done.returncode}): "
                             f"{done.stdout}{done.stderr}")
    return done


def tools_missing() -> str | None:
    for tool in ("ip", "nft", "dnsmasq", "busybox", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/install installs it)"
    if os.geteuid() != 0:
        return "network namespaces need root"
    return None


def ping(ns: str, address: str, count: int = 1, wait: int = 1) -> bool:
    return sh("busybox", "ping", "-c", str(count), "-W", str(wait), address, ns=ns,
              check=False).returncode == 0


def replies_within(ns: str, address: str, seconds: int = 2) -> bool:
    """Whether any of pings sent every 0.1 s for ``seconds`` is answered (ping's exit
    status says whether all were)."""
    return "bytes from" in sh("busybox", "ping", "-c", str(seconds * 10), "-i", "0.1", "-w",
                              str(seconds), address, ns=ns, check=False,
                              timeout=seconds + 5).stdout


def tcp_reply(ns: str, address: str, port: int, timeout: float = 0.3) -> str:
    """What a TCP server at ``address`` says to a client in ``ns`` ("" if unreachable);
    the client socket lives in ``ns`` (made by a thread that entered it)."""
    from runtime.network.agent.metadata import enter

    result: list[str] = [""]

    def talk() -> None:
        enter(ns)
        try:
            with socket.create_connection((address, port), timeout=timeout) as conn:
                conn.settimeout(2)
                result[0] = conn.recv(1024).decode().strip()
        except OSError:
            pass

    thread = threading.Thread(target=talk)
    thread.start()
    thread.join()
    return result[0]


def connect_from(ns: str, address: str, port: int, timeout: float = 5) -> socket.socket:
    """A TCP connection made from inside ``ns`` (the socket keeps its namespace; it can
    be used from any thread)."""
    from runtime.network.agent.metadata import enter

    made: list[socket.socket] = []
    errors: list[OSError] = []

    def dial() -> None:
        enter(ns)
        try:
            made.append(socket.create_connection((address, port), timeout=timeout))
        except OSError as exc:
            errors.append(exc)

    thread = threading.Thread(target=dial)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return made[0]


def neighbour_mac(ns: str, address: str) -> str | None:
    out = sh("ip", "neigh", "show", address, ns=ns, check=False).stdout.split()
    return out[out.index("lladdr") + 1] if "lladdr" in out else None


class Forwarder:
    """Loopback of a host namespace, ``port`` -> the test's 127.0.0.1:``port``."""

    def __init__(self, namespace: str, port: int) -> None:
        from runtime.network.agent.metadata import listen_in

        self.sock = listen_in(namespace, "127.0.0.1", port)
        self.port = port
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@dataclass
class AgentProcess:
    host: str
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            # nsenter changes only the network namespace and execs the agent (the pid is
            # the agent's own). Not `ip netns exec`: its private mount namespace would
            # hide the agent's qdhcp-/qrouter- namespaces from anyone else, and from the
            # agent itself once restarted.
            self.process = subprocess.Popen(
                ["nsenter", f"--net=/run/netns/{self.host}", str(BIN / "haneul"), "agent",
                 "network", "--config", str(self.config)], stdout=out,
                stderr=subprocess.STDOUT)

    def stop(self) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def tail(self) -> str:
        return self.log.read_text()[-4000:] if self.log.exists() else ""


@dataclass
class Lab:
    """Namespaces (and their agents) made by this session; :meth:`close` removes them,
    and every DHCP/router namespace and dnsmasq the agents made inside them."""

    root: Path
    secret: str
    controller_port: int
    namespaces: list[str] = field(default_factory=list)
    agents: dict[str, AgentProcess] = field(default_factory=dict)
    forwarders: dict[str, Forwarder] = field(default_factory=dict)
    owned: set[str] = field(default_factory=set)  # qdhcp-/qrouter- names of this session
    script: Path = field(default_factory=Path)

    def netns(self, name: str) -> str:
        full = f"{PREFIX}-{name}"
        sh("ip", "netns", "add", full)
        self.namespaces.append(full)
        sh("ip", "link", "set", "lo", "up", ns=full)
        return full

    def underlay(self, hosts: list[str]) -> dict[str, str]:
        """A bridge in its own namespace joining the hosts: their tunnel addresses."""
        lan = self.netns("lan")
        sh("ip", "link", "add", "lan", "type", "bridge", ns=lan)
        sh("ip", "link", "set", "lan", "up", ns=lan)
        addresses = {}
        for i, host in enumerate(hosts, start=11):
            sh("ip", "link", "add", f"u{i}", "type", "veth", "peer", "name", "eth0", "netns",
               host, ns=lan)
            sh("ip", "link", "set", f"u{i}", "master", "lan", "up", ns=lan)
            addresses[host] = f"10.77.0.{i}"
            sh("ip", "addr", "add", f"10.77.0.{i}/24", "dev", "eth0", ns=host)
            sh("ip", "link", "set", "eth0", "up", ns=host)
        return addresses

    def add_agent(self, host: str, *, local_ip: str | None, dhcp: bool, l3: bool,
                  mappings: dict[str, str] | None = None) -> AgentProcess:
        if host not in self.forwarders:
            self.forwarders[host] = Forwarder(host, self.controller_port)
        state = self.root / host
        state.mkdir(parents=True, exist_ok=True)
        maps = ", ".join(f'{k} = "{v}"' for k, v in (mappings or {}).items())
        config = state / "agent.toml"
        config.write_text(
            f'state_dir = "{state}"\n'
            "[network]\n"
            f'agent_secret = "{self.secret}"\n'
            "[network.agent]\n"
            f'host = "{host}"\n'
            f'controller_url = "http://127.0.0.1:{self.controller_port}"\n'
            + (f'local_ip = "{local_ip}"\n' if local_ip else "")
            + f"dhcp = {str(dhcp).lower()}\nl3 = {str(l3).lower()}\n"
            "poll_timeout = 20.0\nheartbeat_interval = 5.0\nresync_interval = 10.0\n"
            f"physical_interface_mappings = {{ {maps} }}\n")
        agent = AgentProcess(host, config, state / "agent.log")
        self.agents[host] = agent
        agent.start()
        return agent

    def guest(self, name: str, host: str, port_id: str, mac: str) -> str:
        """A guest namespace whose eth0 is plugged into ``tap<port>`` on ``host`` (what
        libvirt's tap would be); the agent enslaves it to the network's bridge."""
        ns = self.netns(name)
        tap = "tap" + port_id[:11]
        sh("ip", "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", ns,
           ns=host)
        sh("ip", "link", "set", tap, "up", ns=host)
        sh("ip", "link", "set", "eth0", "address", mac, ns=ns)
        sh("ip", "link", "set", "eth0", "up", ns=ns)
        return ns

    def dhcp(self, guest: str, timeout: int = 20) -> str | None:
        """Run a DHCP client in the guest; the address it was given (None: none)."""
        # Ask for classless static routes (option 121) as cloud images' clients do.
        sh("busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-O", "staticroutes", "-t",
           str(timeout), "-T",
           "1", "-s", str(self.script), ns=guest, check=False, timeout=timeout + 10)
        out = sh("ip", "-4", "-o", "addr", "show", "dev", "eth0", ns=guest).stdout.split()
        return out[out.index("inet") + 1].split("/")[0] if "inet" in out else None

    def close(self) -> None:
        for agent in self.agents.values():
            agent.stop()
        for forwarder in self.forwarders.values():
            forwarder.close()
        # What the agents made in their hosts (dnsmasq, qdhcp-/qrouter- namespaces) and
        # the hosts themselves.
        from runtime.network.agent.dhcp import Dnsmasq

        for kind in ("dhcp", "ra"):  # per network; routers' advertisements
            for state in self.root.glob(f"*/network-agent/{kind}/*"):
                Dnsmasq("dnsmasq", state.parent.parent, kind).stop(state.name)
        for ns in self.agent_namespaces():
            sh("ip", "netns", "del", ns, check=False)
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)

    def agent_namespaces(self) -> list[str]:
        """qdhcp-/qrouter- namespaces of networks and routers of this session."""
        return [ns for ns in sh("ip", "netns", "list").stdout.split()
                if ns in self.owned]


@contextmanager
def lab(root: Path, secret: str, port: int) -> Iterator[Lab]:
    made = Lab(root, secret, port)
    made.script = root / "udhcpc.sh"
    made.script.write_text(UDHCPC_SCRIPT)
    made.script.chmod(0o755)
    try:
        yield made
    finally:
        made.close()
