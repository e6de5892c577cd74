"""Forwarding with 1,000 security group rules: a sender guest and two receiving guests
on the same network and host, one of whose ports has --rules ingress rules that never
match the test traffic before the one that allows it; a TCP stream (MB/s) and short
connections (connections/s) to each receiver, run by bench/network/traffic.py in the
guests' namespaces, and the ratio "with the rules / with none"."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.network.cloud import SENDER_IP
from bench.network.measure import CpuMeter, load, log
from bench.network.traffic import CONNECT_PORT, STREAM_PORT
from tests.e2e.network.conftest import Env
from tests.e2e.network.lab import sh
from tests.e2e.network.test_dataplane import Tenant, plug
from tests.support import REPO, wait_for


def forwarding(env: Env, tenant: Tenant, sender: str,
               args: argparse.Namespace) -> dict[str, Any]:
    """Both receivers in every round, in alternating order, after an untimed warm-up."""
    r0, r1, info = forwarding_setup(env, tenant, SENDER_IP, args.rules)
    results: dict[str, Any] = {"setup": info, "load": []}
    for key in ("stream_none", "stream_with", "connect_none", "connect_with",
                "stream_cpu_s_per_gb_none", "stream_cpu_s_per_gb_with",
                "connect_cpu_us_none", "connect_cpu_us_with"):
        results[key] = []
    receivers = {"none": (r0, "10.10.0.31"), "with": (r1, "10.10.0.32")}
    with receivers_serving({key: ns for key, (ns, _) in receivers.items()}) as pids:
        # Warm up both paths (first connections, ARP, conntrack zones) untimed.
        for _, ip in receivers.values():
            traffic(sender, "connect", ip, "--count", "200")
            traffic(sender, "stream", ip, "--mb", "20")
        for rnd in range(args.rounds):
            forwarding_round(sender, receivers, pids, args, rnd, results)
    return results


@contextmanager
def receivers_serving(namespaces: dict[str, str]) -> Iterator[dict[str, int]]:
    """``traffic.py serve`` in each namespace, by key; their process ids. Stopped on
    leaving."""
    procs: list[subprocess.Popen[str]] = []
    pids: dict[str, int] = {}
    try:
        for key, ns in namespaces.items():
            proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m",
                                     "bench.network.traffic", "serve"], cwd=REPO,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True)
            procs.append(proc)
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the receiver in {ns} did not start")
            pids[key] = proc.pid
        yield pids
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def traffic(ns: str, *argv: str) -> dict[str, float]:
    done = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-m",
                           "bench.network.traffic", *argv], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"traffic {' '.join(argv)} in {ns} failed: {done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def many_rules(group_id: str, count: int) -> list[dict[str, Any]]:
    """``count`` ingress TCP rules that never match the test traffic: distinct ports
    (10000 up), every other one also limited to a /32 of 198.18.0.0/15."""
    rules = []
    for i in range(count):
        rule: dict[str, Any] = {
            "security_group_id": group_id, "direction": "ingress", "ethertype": "IPv4",
            "protocol": "tcp", "port_range_min": 10000 + i, "port_range_max": 10000 + i}
        if i % 2:
            rule["remote_ip_prefix"] = f"198.18.{i // 250}.{i % 250 + 1}/32"
        rules.append(rule)
    return rules


def ingress_chains(net1: str) -> dict[str, list[str]]:
    """The ``ingress-N`` chains of the security group table on net1: their rules."""
    text = sh("nft", "list", "table", "inet", "haneul-sg", ns=net1, check=False).stdout
    chains: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("chain "):
            name = line.split()[1]
            current = name if name.startswith("ingress-") else None
            if current:
                chains[current] = []
        elif current and line and line != "}":
            chains[current].append(line)
    return chains


def forwarding_setup(env: Env, tenant: Tenant, sender_ip: str,
                     rules: int) -> tuple[str, str, dict[str, Any]]:
    """Two receiving guests (10.10.0.31 with only the allowing rule, 10.10.0.32 with
    ``rules`` rules before it); their namespaces and what the ruleset shows."""
    conn = env.conn
    allow_rule = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                  "port_range_min": STREAM_PORT, "port_range_max": CONNECT_PORT,
                  "remote_ip_prefix": f"{sender_ip}/32"}

    def bare_group(name: str) -> Any:
        sg = conn.network.create_security_group(name=name, project_id=tenant.project)
        for r in list(conn.network.security_group_rules(security_group_id=sg.id)):
            conn.network.delete_security_group_rule(r)  # the default egress rules
        return sg

    big = bare_group("bench-1000-rules")
    started = time.monotonic()
    data = many_rules(big.id, rules)
    for i in range(0, len(data), 250):
        list(conn.network.create_security_group_rules(data[i:i + 250]))
    made_s = time.monotonic() - started
    # The agent renders a port's groups sorted by id and each group's rules sorted by
    # id: the allowing rule goes into a group whose id sorts after the big one's, so it
    # comes after the 1,000 rules.
    allow = bare_group("bench-allow")
    while allow.id < big.id:
        conn.network.delete_security_group(allow)
        allow = bare_group("bench-allow")
    conn.network.create_security_group_rule(security_group_id=allow.id, **allow_rule)
    p0, r0 = plug(env, tenant, "rcv-none", env.net1, "10.10.0.31", [allow.id])
    p1, r1 = plug(env, tenant, "rcv-1000", env.net1, "10.10.0.32", [big.id, allow.id])
    for guest, ip in ((r0, "10.10.0.31"), (r1, "10.10.0.32")):
        got = env.lab.dhcp(guest)
        if got != ip:
            raise RuntimeError(f"receiver {guest} got {got} by DHCP, expected {ip}")
    wait_active(env, [p0.id, p1.id])

    def rendered() -> bool:
        return any(port_rules(rs) > rules for rs in ingress_chains(env.net1).values())

    wait_for(rendered, 60, f"the agent to render {rules} rules")
    info: dict[str, Any] = {"rules_created_s": round(made_s, 2)}
    allowing = f"{sender_ip} . {STREAM_PORT}-{CONNECT_PORT}"
    for name, rs in ingress_chains(env.net1).items():
        if any(allowing in r for r in rs):
            key = "with" if port_rules(rs) > rules else "none"
            # The agent renders port rules as set lookups: how many rules it holds,
            # in how many lookups (nft rules) a new connection walks.
            info[f"{key}_chain"] = {"chain": name, "port_rules": port_rules(rs),
                                    "lookups": sum(" dport { " in r for r in rs),
                                    "nft_rules": len(rs)}
    if "with_chain" not in info or "none_chain" not in info:
        raise RuntimeError(f"the allowing rule is not in both receivers' chains: {info}")
    return r0, r1, info


def port_rules(chain: list[str]) -> int:
    """Security group rules with ports in a chain: the elements of its set lookups
    (``addr . port`` each), whatever the number of nft rules holding them."""
    return sum(r.count(" . ") - 1 for r in chain if " dport { " in r)


def wait_active(env: Env, port_ids: list[str], timeout: float = 30) -> None:
    def active() -> bool:
        return all(str(env.conn.network.get_port(p).status) == "ACTIVE" for p in port_ids)

    wait_for(active, timeout, "the agent to report the guest ports ACTIVE")


def forwarding_round(sender: str, receivers: dict[str, tuple[str, str]],
                     pids: dict[str, int], args: argparse.Namespace, rnd: int,
                     results: dict[str, Any]) -> None:
    order = ["none", "with"] if rnd % 2 == 0 else ["with", "none"]
    for key in order:
        _, ip = receivers[key]
        cpu = CpuMeter(pids[key])
        c0 = cpu.read()
        s = traffic(sender, "stream", ip, "--mb", str(args.stream_mb))
        results[f"stream_{key}"].append(s["bytes"] / s["seconds"] / 1e6)
        results[f"stream_cpu_s_per_gb_{key}"].append(
            (s["cpu"] + cpu.read() - c0) / (s["bytes"] / 1e9))
        c0 = cpu.read()
        c = traffic(sender, "connect", ip, "--count", str(args.connections))
        results[f"connect_{key}"].append(c["connections"] / c["seconds"])
        results[f"connect_cpu_us_{key}"].append(
            (c["cpu"] + cpu.read() - c0) / c["connections"] * 1e6)
    results["load"].append(load()[0])
    log(f"forwarding round {rnd + 1}: stream none {results['stream_none'][-1]:.0f} / with "
        f"{results['stream_with'][-1]:.0f} MB/s; connections none "
        f"{results['connect_none'][-1]:.0f} / with {results['connect_with'][-1]:.0f} /s")
