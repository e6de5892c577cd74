"""bench/deploy: how long deployments take, through `haneul deploy` and the playbooks.

Run from the repository root, as root:

    .venv/bin/python -m bench.deploy                   # all three
    .venv/bin/python -m bench.deploy --skip-multinode  # only the all-in-one
    .venv/bin/python -m bench.deploy --skip-aio        # only the four hosts

(a) the all-in-one deployment from a clean state into a throwaway prefix on a free port
(the inventory of tests/e2e/test_all_in_one.py: identity, image, compute on libvirt,
the haneul-test image uploaded from the machine's image cache); (b) a no-change re-run
of it; (c) the four-host deployment (controller, network1, compute1, storage1) over SSH
into network namespace hosts (tests/e2e/installer/hosts.py), and its no-change re-run.
Each deployment is destroyed afterwards. Distribution packages are expected to be
installed already (the goals are "after packages are downloaded"); the haneul wheel is
built before the clock starts and pinned, so a re-run sees the same code even while the
checkout is being edited.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from installer.deployment import wheel_cache
from installer.wheel import build_wheel
from tests.e2e.installer.aio import aio_inventory
from tests.e2e.installer.hosts import MultinodeDeployment, NamespaceHosts, hosts_environment
from tests.support import BIN, REPO, free_port

# Goals from the installer issue, and what the established installers document.
GOALS = {"aio": ("< 3 min", 180.0), "aio-rerun": ("< 30 s", 30.0),
         "multinode": ("< 5 min", 300.0), "multinode-rerun": ("", None)}
DEVSTACK = "15-30 min"
OSA = "30-120 min"
LABELS = {"aio": "all-in-one deploy, clean state", "aio-rerun": "all-in-one re-run, no change",
          "multinode": "four hosts over SSH, clean state",
          "multinode-rerun": "four hosts re-run, no change"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def changed(stdout: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in stdout.splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("kind") == "stats":
            for host, stats in event["hosts"].items():
                totals[host] = totals.get(host, 0) + stats["changed"]
    return totals


def timed(name: str, call: Callable[[], subprocess.CompletedProcess[str]],
          results: dict[str, Any]) -> None:
    log(f"{name}: {LABELS[name]} ...")
    started = time.monotonic()
    done = call()
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stdout[-4000:]}"
                         f"\n{done.stderr[-2000:]}")
    results[name] = {"seconds": round(seconds, 1), "changed": changed(done.stdout)}
    log(f"{name}: {seconds:.1f} s, changed per host {results[name]['changed']}")


def destroyed(done: subprocess.CompletedProcess[str]) -> None:
    if done.returncode != 0:
        log(f"destroy failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-1000:]}")


def bench_aio(base: Path, results: dict[str, Any]) -> None:
    inventory = base / "inventory.yml"
    inventory.write_text(aio_inventory(base, free_port()))
    wheel = build_wheel(wheel_cache())
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env |= {"HANEUL_RUNS_DIR": str(base / "runs")}

    def haneul(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "haneul"), *args, "-i", str(inventory),
                               "-e", f"haneul_wheel_file={wheel.path}",
                               "-e", f"haneul_wheel_digest={wheel.digest}"],
                              env=env, capture_output=True, text=True, timeout=1800,
                              cwd=REPO)

    try:
        timed("aio", lambda: haneul("deploy", "--json"), results)
        timed("aio-rerun", lambda: haneul("deploy", "--json"), results)
    finally:
        log("all-in-one: destroy")
        destroyed(haneul("action", "destroy", "--yes"))


def bench_multinode(base: Path, results: dict[str, Any]) -> None:
    with NamespaceHosts(base / "hosts", environment=hosts_environment()) as hosts:
        deployment = MultinodeDeployment(hosts, base)
        try:
            timed("multinode", lambda: deployment.haneul("deploy", "--json",
                                                          timeout=1800), results)
            timed("multinode-rerun", lambda: deployment.haneul("deploy", "--json"),
                  results)
        finally:
            log("four hosts: destroy")
            destroyed(deployment.haneul("action", "destroy", "--yes"))


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def report(results: dict[str, Any]) -> str:
    rows = ["| deployment | Haneul | goal | changed | DevStack | OpenStack-Ansible |",
            "| --- | --- | --- | --- | --- | --- |"]
    for name, (goal, limit) in GOALS.items():
        if name not in results:
            continue
        seconds = results[name]["seconds"]
        verdict = "" if limit is None else (" PASS" if seconds < limit else " FAIL")
        first = not name.endswith("rerun")
        rows.append(f"| {LABELS[name]} | {_duration(seconds)} | {goal}{verdict} | "
                    f"{sum(results[name]['changed'].values())} | "
                    f"{DEVSTACK if name == 'aio' else ''} | {OSA if first else ''} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.deploy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-aio", action="store_true")
    parser.add_argument("--skip-multinode", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("bench.deploy deploys as root (packages, libvirt, namespaces)",
              file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="haneul-bench-deploy-") as tmp:
        if not args.skip_aio:
            (Path(tmp) / "aio").mkdir()
            bench_aio(Path(tmp) / "aio", results)
        if not args.skip_multinode:
            (Path(tmp) / "multinode").mkdir()
            bench_multinode(Path(tmp) / "multinode", results)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0
