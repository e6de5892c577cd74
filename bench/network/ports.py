"""Port create and delete throughput: --ports ports bound to net1 (device_owner
compute:nova, as Nova's are, so the agent reacts to each) on a /16 network, one client
at a time and from several threads with their own connections, then deleted; ports/s,
each request's latency, and the CPU of `haneul serve`, the agent and the client per
port."""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from bench.network.measure import CpuMeter, load, log
from tests.e2e.network.conftest import Env


def port_rounds(env: Env, project: str, args: argparse.Namespace) -> dict[str, Any]:
    conn = env.conn
    net = conn.network.create_network(name="bench-ports", project_id=project)
    env.lab.owned.add(f"qdhcp-{net.id}")
    conn.network.create_subnet(network_id=net.id, project_id=project, ip_version=4,
                               cidr="10.20.0.0/16", name="bench-ports")
    conns = [env.cloud.sdk() for _ in range(max(args.concurrency))]
    serve = CpuMeter(env.cloud.process.pid)  # type: ignore[union-attr]
    agent_proc = env.lab.agents[env.net1].process
    assert agent_proc is not None
    agent = CpuMeter(agent_proc.pid)
    out: dict[str, Any] = {}
    for c in args.concurrency:
        out[f"c{c}"] = {"create_rate": [], "delete_rate": [], "create_ms": [],
                        "delete_ms": [], "serve_cpu_ms_per_port": [],
                        "agent_cpu_ms_per_port": [], "client_cpu_ms_per_port": [],
                        "load": []}

    def run(c: int, work: Callable[[Any, int], None]) -> tuple[float, list[float]]:
        per = [args.ports // c + (1 if i < args.ports % c else 0) for i in range(c)]
        lat: list[list[float]] = [[] for _ in range(c)]
        errors: list[BaseException] = []

        def worker(i: int) -> None:
            try:
                for k in range(per[i]):
                    t = time.perf_counter()
                    work(conns[i], i * 100000 + k)
                    lat[i].append((time.perf_counter() - t) * 1000)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(c)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        if errors:
            raise errors[0]
        return args.ports / wall, [x for xs in lat for x in xs]

    for rnd in range(args.rounds):
        for c in args.concurrency:
            made: list[str] = []
            lock = threading.Lock()

            def create(cn: Any, k: int, made: list[str] = made,
                       lock: threading.Lock = lock) -> None:
                port = cn.network.create_port(
                    network_id=net.id, project_id=project, binding_host_id=env.net1,
                    device_owner="compute:nova", device_id=str(uuid.uuid4()))
                with lock:
                    made.append(port.id)

            def delete(cn: Any, k: int, made: list[str] = made,
                       lock: threading.Lock = lock) -> None:
                with lock:
                    pid = made.pop()
                cn.network.delete_port(pid, ignore_missing=False)

            rec = out[f"c{c}"]
            rec["load"].append(load()[0])
            s0, a0, b0 = serve.read(), agent.read(), time.process_time()
            rate, lat = run(c, create)
            rec["client_cpu_ms_per_port"].append((time.process_time() - b0) * 1000 / args.ports)
            rec["create_rate"].append(rate)
            rec["create_ms"] += lat
            rec["serve_cpu_ms_per_port"].append((serve.read() - s0) * 1000 / args.ports)
            rec["agent_cpu_ms_per_port"].append((agent.read() - a0) * 1000 / args.ports)
            s0 = serve.read()
            rate_d, lat = run(c, delete)
            rec["delete_rate"].append(rate_d)
            rec["delete_ms"] += lat
            log(f"round {rnd + 1}, c={c}: create {rate:.1f} ports/s, delete "
                f"{rate_d:.1f} ports/s (serve CPU {rec['serve_cpu_ms_per_port'][-1]:.1f} ms"
                f"/port on create, agent {rec['agent_cpu_ms_per_port'][-1]:.1f})")
            time.sleep(2)  # let the agent's passes over the changes finish
    for cn in conns:
        with suppress(Exception):
            cn.close()
    return out
