"""bench/network: port API throughput, DHCP and floating IP readiness, and forwarding
with 1,000 security group rules, on a throw-away cloud and network namespaces.

Run from the repository root, as root:

    .venv/bin/python -m bench.network [--ports 200] [--rounds 5] [--json FILE]

Builds the network lab of tests/e2e/network (tests/e2e/network/lab.py): `haneul serve`
(identity + network) on loopback, one host namespace ``net1`` running `haneul agent
network` with DHCP and L3 (VXLAN tunnel address on an underlay, flat provider network
``extnet`` on its ``ext0``, whose other end is the ``ext`` namespace, "the outside"), a
project with a network 10.10.0.0/24 and a router (as tests/e2e/network/test_dataplane.py
makes them), and guests as namespaces plugged into the ports' taps. Then, per round:

1. ports: create --ports ports (bound to net1, device_owner compute:nova, as Nova's
   are) on a /16 network through openstacksdk, one request at a time and from
   --concurrency threads, then delete them: ports/s and per-request latency;
2. DHCP: create a port with a chosen MAC and time, from the API's answer, (a) the line
   for that MAC in the network's dnsmasq hosts file under the agent's state directory,
   (b) dnsmasq answering a DHCPDISCOVER for that MAC with an OFFER of the port's address;
   once, a DHCP client in a guest namespace with that MAC takes the lease;
3. floating IP: associate a floating IP with a guest's port and time, from the API's
   answer, the first echo reply to the pings the outside sends every 10 ms; then
   disassociate and time the last reply;
4. forwarding: TCP stream MB/s and short connections/s from one guest to two others on
   the same network and host, one of whose ports has 1,000 ingress rules before the one
   that allows the traffic; the ratio "with 1,000 rules / with none".

Everything it makes (the cloud, the agent, dnsmasq, namespaces, traffic processes) is
removed at the end, also on failure, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.network.cloud import network_lab, project_and_sender
from bench.network.dhcp import dhcp_readiness
from bench.network.floating import floating_ip_readiness
from bench.network.measure import load, log
from bench.network.ports import port_rounds
from bench.network.report import report, summarise
from bench.network.rules import forwarding
from tests.e2e.network.lab import tools_missing

# One module a measurement (ports.py, dhcp.py, floating.py, rules.py), the cloud and lab
# they share in cloud.py, the tables in report.py; this one runs them in order.


def bench(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                               "cpus": os.cpu_count(), "load_start": load(),
                               "args": {k: v for k, v in vars(args).items() if k != "json"}}
    cpu0 = time.process_time()
    with network_lab(root) as env:
        tenant, sender = project_and_sender(env)

        log("1. port create / delete throughput")
        results["ports"] = port_rounds(env, tenant.project, args)

        log("2. port create -> DHCP servable")
        results["dhcp"] = dhcp_readiness(env, tenant, sender, args)

        log("3. floating IP associate -> ping from outside")
        results["floating_ip"] = floating_ip_readiness(env, tenant, args)

        log(f"4. forwarding with {args.rules} security group rules and with none")
        results["forwarding"] = forwarding(env, tenant, sender, args)
    results["load_end"] = load()
    results["bench_cpu_s"] = round(time.process_time() - cpu0, 1)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.network", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ports", type=int, default=200, help="ports created per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--concurrency", default="1,4", help="clients creating ports at once")
    p.add_argument("--dhcp-samples", type=int, default=10, help="DHCP ports per round")
    p.add_argument("--fip-samples", type=int, default=3, help="associations per round")
    p.add_argument("--rules", type=int, default=1000)
    p.add_argument("--stream-mb", type=int, default=1000, help="MB per stream per round")
    p.add_argument("--connections", type=int, default=10000,
                   help="short connections per round and receiver")
    p.add_argument("--keep-state", action="store_true", help="keep the temporary directory")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    args.concurrency = [int(x) for x in args.concurrency.split(",") if x.strip()]
    missing = tools_missing()
    if missing:
        print(f"bench.network: {missing}", file=sys.stderr)
        return 2

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    root = Path(tempfile.mkdtemp(prefix="bench-network-"))
    try:
        results = bench(args, root)
    finally:
        if args.keep_state:
            log(f"state kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    results["summary"] = summarise(results)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0
