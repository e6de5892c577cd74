"""Port create to DHCP servable: a port created with a chosen MAC, timed from the API's
answer to (a) the MAC's line in the network's dnsmasq hosts file under the agent's state
directory, (b) dnsmasq answering a DHCPDISCOVER for that MAC with an OFFER of the port's
address; once, a DHCP client in a guest namespace with that MAC takes the lease."""

from __future__ import annotations

import argparse
import random
import time
import uuid
from pathlib import Path
from typing import Any

from bench.network.measure import log, pct
from bench.network.probes import DhcpProbe, HostsFileWatch
from tests.e2e.network.conftest import Env
from tests.e2e.network.test_dataplane import Tenant

DHCP_INTERVAL = 0.01


def dhcp_readiness(env: Env, tenant: Tenant, probe_guest: str,
                   args: argparse.Namespace) -> dict[str, Any]:
    """--dhcp-samples ports a round, DISCOVERs sent from ``probe_guest``."""
    results: dict[str, Any] = {"to_hosts_file_ms": [], "to_offer_ms": [],
                               "discovers_sent": []}
    for rnd in range(args.rounds):
        dhcp_round(env, tenant, probe_guest, args, rnd, results)
    return results


def hosts_file(env: Env, network_id: str) -> Path:
    """dnsmasq's dhcp-hostsfile for a network (runtime/network/agent/dhcp.py:
    Dnsmasq(root=<state_dir>/network-agent).directory(network) / "host")."""
    from runtime.network.agent.dhcp import Dnsmasq

    return Dnsmasq("dnsmasq", env.lab.root / env.net1 / "network-agent") \
        .directory(network_id) / "host"


def random_mac() -> str:
    return "fa:16:3e:" + ":".join(f"{random.randrange(256):02x}" for _ in range(3))


def dhcp_round(env: Env, tenant: Tenant, probe_guest: str, args: argparse.Namespace,
               rnd: int, results: dict[str, Any]) -> None:
    conn = env.conn
    path = hosts_file(env, tenant.network.id)
    for i in range(args.dhcp_samples):
        mac = random_mac()
        watch = HostsFileWatch(path, mac)
        probe = DhcpProbe(probe_guest, mac, interval=DHCP_INTERVAL)
        try:
            port = conn.network.create_port(
                network_id=tenant.network.id, project_id=tenant.project, mac_address=mac,
                binding_host_id=env.net1, device_owner="compute:nova",
                device_id=str(uuid.uuid4()))
            t0 = time.monotonic()
            seen_file, seen_offer = watch.wait(), probe.wait()
        finally:
            watch.stop()
            probe.stop()
        ip = port.fixed_ips[0]["ip_address"]
        if seen_file is None or seen_offer is None:
            raise RuntimeError(f"port {port.id} ({mac}): hosts file "
                               f"{'ok' if seen_file else 'never'}, offer "
                               f"{'ok' if seen_offer else 'never'}; "
                               f"{env.lab.agents[env.net1].tail()}")
        if probe.offered != ip:
            raise RuntimeError(f"dnsmasq offered {probe.offered} for {mac}, the port has {ip}")
        results["to_hosts_file_ms"].append((seen_file - t0) * 1000)
        results["to_offer_ms"].append((seen_offer - t0) * 1000)
        results["discovers_sent"].append(probe.sent)
        if rnd == 0 and i == args.dhcp_samples - 1:
            # Once: a real DHCP client in a guest with this port's MAC takes the lease.
            started = time.monotonic()
            guest = env.lab.guest("dhcp-check", env.net1, port.id, mac)
            got = env.lab.dhcp(guest)
            results["confirm"] = {"port": port.id, "mac": mac, "expected": ip, "got": got,
                                  "seconds": round(time.monotonic() - started, 2)}
            log(f"DHCP check: a guest with {mac} got {got} (port has {ip}) in "
                f"{results['confirm']['seconds']} s (udhcpc, tap plugged by the agent)")
            if got != ip:
                raise RuntimeError(f"the DHCP client got {got}, expected {ip}")
            # Kept: dnsmasq holds this client's lease, and a later port given the freed
            # address would get no OFFER while it does (the agent releases no leases).
            continue
        conn.network.delete_port(port.id)
        time.sleep(0.3)
    log(f"DHCP round {rnd + 1}: create -> hosts file p50 "
        f"{pct(results['to_hosts_file_ms'], 0.5):.0f} ms, -> OFFER p50 "
        f"{pct(results['to_offer_ms'], 0.5):.0f} ms")
