"""Floating IP readiness: ``update_ip(port_id=...)`` of an unassociated floating IP of
the external network "public", timed from the API's answer to the first echo reply at
the outside, which pings the address every 10 ms; then ``update_ip(port_id=None)``,
timed to the last reply to requests that each start a new flow, and whether the flow
pinged while associated is still answered 2 s later."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.network.measure import log, pct
from bench.network.probes import Pinger
from tests.e2e.network.conftest import Env, external_network
from tests.e2e.network.lab import ping, sh
from tests.e2e.network.test_dataplane import Tenant, plug
from tests.support import wait_for

PING_INTERVAL = 0.01


def floating_ip_readiness(env: Env, tenant: Tenant,
                          args: argparse.Namespace) -> dict[str, Any]:
    """The project's router gets the external network as its gateway and a guest
    (10.10.0.40) gets one floating IP, associated --fip-samples times a round."""
    conn = env.conn
    ext = external_network(conn)
    conn.network.update_router(tenant.router, external_gateway_info={"network_id": ext.id})
    fport, fguest = plug(env, tenant, "fipguest", env.net1, "10.10.0.40")
    if env.lab.dhcp(fguest) != "10.10.0.40":
        raise RuntimeError("the floating IP's guest got no address")
    wait_for(lambda: ping(fguest, "172.30.0.1"), 30, "the guest to reach outside")
    fip = conn.network.create_ip(floating_network_id=ext.id, project_id=tenant.project)
    results: dict[str, Any] = {"associate_ms": [], "associate_call_ms": [],
                               "disassociate_ms": [], "old_flow_answered_2s_after": [],
                               "address": fip.floating_ip_address}
    for rnd in range(args.rounds):
        fip_round(env, fip, fport.id, args, rnd, results)
    return results


def fip_round(env: Env, fip: Any, port_id: str, args: argparse.Namespace, rnd: int,
              results: dict[str, Any]) -> None:
    conn = env.conn
    address = fip.floating_ip_address
    for _ in range(args.fip_samples):
        # Each sample starts with no neighbour entry for the address outside.
        sh("ip", "neigh", "flush", "dev", "eth0", ns=env.ext, check=False)
        pinger = Pinger(env.ext, address, PING_INTERVAL)
        try:
            time.sleep(0.1)
            if pinger.replies:
                raise RuntimeError(f"{address} answered before it was associated")
            start = time.monotonic()
            conn.network.update_ip(fip, port_id=port_id)
            t0 = time.monotonic()
            deadline = t0 + 30
            while pinger.first_after(start) is None and time.monotonic() < deadline:
                time.sleep(0.005)
            first = pinger.first_after(start)
            if first is None:
                raise RuntimeError(f"{address} never answered; {env.lab.agents[env.net1].tail()}")
            results["associate_ms"].append((first - t0) * 1000)
            results["associate_call_ms"].append((t0 - start) * 1000)
            time.sleep(0.3)
            # Disassociate: new flows (a new ICMP identifier per request) must go
            # unanswered; the flow pinged so far keeps going to see whether its conntrack
            # entry still carries it to the guest.
            fresh = Pinger(env.ext, address, PING_INTERVAL, fresh=True)
            try:
                time.sleep(0.1)
                if not fresh.replies:
                    raise RuntimeError(f"{address} does not answer new flows")
                conn.network.update_ip(fip, port_id=None)
                t1 = time.monotonic()
                # Silent once no reply came for 0.5 s (50 requests).
                while time.monotonic() < t1 + 30:
                    if time.monotonic() - max(fresh.replies[-1], t1) > 0.5:
                        break
                    time.sleep(0.01)
                results["disassociate_ms"].append(max(0.0, fresh.replies[-1] - t1) * 1000)
            finally:
                fresh.stop()
            time.sleep(max(0.0, t1 + 2.0 - time.monotonic()))
            old = [t for t in pinger.replies if t > t1 + 1.5]
            results["old_flow_answered_2s_after"].append(bool(old))
        finally:
            pinger.stop()
        time.sleep(0.3)
    log(f"floating IP round {rnd + 1}: associate -> reply p50 "
        f"{pct(results['associate_ms'], 0.5):.0f} ms, max {max(results['associate_ms']):.0f}")
