"""bench/network's report: the figures as two Markdown tables (latencies; rates per
round, with the goals and whether they are met) and notes on CPU, the DHCP client check
and the forwarding setup."""

from __future__ import annotations

import statistics
from typing import Any

from bench.network.dhcp import DHCP_INTERVAL
from bench.network.floating import PING_INTERVAL
from bench.network.measure import spread

GOAL_PORTS_PER_S = 50.0
GOAL_FIP_S = 1.0
GOAL_RATIO = 0.90
NAMES = {"stream": "TCP stream", "connect": "new TCP connections"}


def summarise(r: dict[str, Any]) -> dict[str, Any]:
    lat: list[dict[str, Any]] = []
    rates: list[dict[str, Any]] = []
    for c, rec in r.get("ports", {}).items():
        n = c[1:]
        for op in ("create", "delete"):
            ms = spread(rec[f"{op}_ms"])
            lat.append({"figure": f"port {op} request, {n} at a time (ms)", **ms,
                        "goal": "", "met": ""})
            rate = rec[f"{op}_rate"]
            med = statistics.median(rate)
            rates.append({"figure": f"port {op}, {n} at a time (ports/s)", "p50": med,
                          "min": min(rate), "max": max(rate), "n": len(rate),
                          "goal": f">= {GOAL_PORTS_PER_S:.0f}/s",
                          "met": "yes" if med >= GOAL_PORTS_PER_S else "NO"})
    d = r.get("dhcp")
    if d:
        lat.append({"figure": "port create -> MAC in dnsmasq hosts file (ms)",
                    **spread(d["to_hosts_file_ms"]), "goal": "", "met": ""})
        lat.append({"figure": "port create -> dnsmasq OFFERs the address (ms)",
                    **spread(d["to_offer_ms"]), "goal": "", "met": ""})
    f = r.get("floating_ip")
    if f:
        s = spread(f["associate_ms"])
        lat.append({"figure": "floating IP associate -> ping answered outside (ms)", **s,
                    "goal": f"< {GOAL_FIP_S * 1000:.0f} ms",
                    "met": "yes" if s["max"] < GOAL_FIP_S * 1000 else
                    ("p95 yes, max NO" if s["p95"] < GOAL_FIP_S * 1000 else "NO")})
        lat.append({"figure": "floating IP associate request (ms)",
                    **spread(f["associate_call_ms"]), "goal": "", "met": ""})
        lat.append({"figure": "floating IP disassociate -> last reply to a new flow (ms)",
                    **spread(f["disassociate_ms"]), "goal": "", "met": ""})
    w = r.get("forwarding")
    if w:
        for kind, unit in (("stream", "MB/s"), ("connect", "connections/s")):
            for key, label in (("none", "none"), ("with", "1,000 rules")):
                v = w[f"{kind}_{key}"]
                rates.append({"figure": f"{NAMES[kind]}, {label} ({unit})",
                              "p50": statistics.median(v), "min": min(v), "max": max(v),
                              "n": len(v), "goal": "", "met": ""})
            ratio = statistics.median(w[f"{kind}_with"]) / statistics.median(w[f"{kind}_none"])
            per_round = [a / b for a, b in zip(w[f"{kind}_with"], w[f"{kind}_none"],
                                               strict=True)]
            rates.append({"figure": f"{NAMES[kind]}: with 1,000 rules / none", "p50": ratio,
                          "min": min(per_round), "max": max(per_round), "n": len(per_round),
                          "goal": f">= {GOAL_RATIO:.0%}",
                          "met": "yes" if ratio >= GOAL_RATIO else
                          f"NO ({(GOAL_RATIO - ratio) * 100:.0f} points short)"})
    return {"latency": lat, "rates": rates}


def _fmt(x: float, ratio: bool = False) -> str:
    if ratio:
        return f"{x:.1%}"
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.1f}"


def report(r: dict[str, Any]) -> str:
    s = r["summary"]
    lines = [f"bench/network {r['date']}, {r['cpus']} CPUs, load average at start "
             f"{r['load_start']}, at end {r['load_end']}", "",
             "| latency | p50 | p95 | max | samples | goal | met |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in s["latency"]:
        lines.append(f"| {row['figure']} | {_fmt(row['p50'])} | {_fmt(row['p95'])} | "
                     f"{_fmt(row['max'])} | {row['n']} | {row['goal']} | {row['met']} |")
    lines += ["", "| rate (per round) | median | slowest round | fastest round | rounds | "
              "goal | met |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in s["rates"]:
        ratio = "/ none" in row["figure"]
        lines.append(f"| {row['figure']} | {_fmt(row['p50'], ratio)} | "
                     f"{_fmt(row['min'], ratio)} | {_fmt(row['max'], ratio)} | {row['n']} | "
                     f"{row['goal']} | {row['met']} |")
    extra = []
    for c, rec in r.get("ports", {}).items():
        extra.append(f"ports {c}: serve CPU {statistics.median(rec['serve_cpu_ms_per_port']):.1f}"
                     f" ms/port created, agent CPU "
                     f"{statistics.median(rec['agent_cpu_ms_per_port']):.1f} ms/port, client "
                     f"(openstacksdk) {statistics.median(rec['client_cpu_ms_per_port']):.1f} "
                     "ms/port "
                     f"(medians over rounds); load at round starts {rec['load']}")
    if "floating_ip" in r:
        old = r["floating_ip"]["old_flow_answered_2s_after"]
        extra.append(f"floating IP: the flow pinged while associated was still answered 2 s "
                     f"after disassociation in {sum(old)} of {len(old)} samples")
    if "dhcp" in r and "confirm" in r["dhcp"]:
        cf = r["dhcp"]["confirm"]
        extra.append(f"DHCP client check: guest with {cf['mac']} got {cf['got']} "
                     f"(port {cf['expected']}) in {cf['seconds']} s")
    if "forwarding" in r:
        w = r["forwarding"]
        extra.append(f"forwarding setup: {w['setup']}")
        for key in ("none", "with"):
            per_gb = statistics.median(w[f"stream_cpu_s_per_gb_{key}"])
            extra.append(f"CPU ({key}): stream {per_gb:.2f} s/GB, connections "
                         f"{statistics.median(w[f'connect_cpu_us_{key}']):.0f} us/connection "
                         "(sender + receiver processes, kernel time in their context)")
    extra.append(f"granularity: pings every {PING_INTERVAL * 1000:.0f} ms, DHCPDISCOVERs every "
                 f"{DHCP_INTERVAL * 1000:.0f} ms, hosts file polled every 2 ms; bench's own "
                 f"CPU {r['bench_cpu_s']} s")
    return "\n".join([*lines, "", *extra])
