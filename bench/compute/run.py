"""bench/compute: how fast servers come up, and how fast the API lists them.

Run from the repository root (as root: libvirtd is started here when none answers):

    .venv/bin/python -m bench.compute                  # both parts
    .venv/bin/python -m bench.compute --skip-list      # only the boots
    .venv/bin/python -m bench.compute --skip-boot      # only the list

Boots (libvirt driver, the haneul-test image, direct kernel boot under TCG or KVM as
the host allows): for 1 and for 5 servers created at once, the time from the create
request to ACTIVE and from ACTIVE to the guest's banner on its console, over --rounds
rounds; medians and maxima. List (fake driver, so 1,000 servers cost no guests): the
latency of GET /servers/detail?limit=1000 and GET /servers?limit=1000 at the minimum
and maximum microversions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.compute.cloud import BenchCloud, log, wait


class Api:
    """Plain HTTP with the admin token: cheap enough to poll from many threads."""

    def __init__(self, url: str, token: str) -> None:
        self.base = url + "/compute/v2.1"
        self.token = token

    def call(self, method: str, path: str, body: Any = None,
             version: str = "2.96") -> Any:
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(body).encode() if body else None)
        req.add_header("X-Auth-Token", self.token)
        req.add_header("OpenStack-API-Version", f"compute {version}")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None


def _boot_one(api: Api, image_id: str, name: str, out: dict[str, float]) -> None:
    started = time.monotonic()
    server = api.call("POST", "/servers", {"server": {
        "name": name, "imageRef": image_id, "flavorRef": "1", "networks": "none"}})["server"]
    sid = server["id"]

    def status() -> bool:
        s = api.call("GET", f"/servers/{sid}")["server"]
        if s["status"] == "ERROR":
            raise RuntimeError(f"{name} failed: {s.get('fault')}")
        return bool(s["status"] == "ACTIVE")

    wait(status, 120, f"{name} ACTIVE")
    active = time.monotonic()

    def banner() -> bool:
        text = api.call("POST", f"/servers/{sid}/action",
                        {"os-getConsoleOutput": {"length": -1}})["output"]
        return f"instance-id={sid}" in text

    wait(banner, 180, f"{name} banner", step=0.1)
    out.update(id=sid, to_active=active - started, to_banner=time.monotonic() - active)  # type: ignore[arg-type]


def boots(args: argparse.Namespace) -> dict[str, Any]:
    from runtime.compute.guest_image.build import build
    from tests.e2e.compute import daemons
    from tests.e2e.compute.conftest import upload_test_image

    started = daemons.start()
    cloud = BenchCloud("libvirt")
    cloud.compute_extra = f'instances_dir = "{cloud.state / "instances"}"\n'
    results: dict[str, Any] = {}
    try:
        cloud.start()
        conn = cloud.sdk()
        wait(lambda: any(True for _ in conn.compute.services()), 60, "the agent")
        image_id = upload_test_image(conn, build(log=log))
        api = Api(cloud.url, conn.auth_token)
        for count in args.counts:
            samples: list[dict[str, float]] = []
            for rnd in range(args.rounds):
                outs: list[dict[str, float]] = [{} for _ in range(count)]
                threads = [threading.Thread(target=_boot_one,
                                            args=(api, image_id, f"b{count}-{rnd}-{i}", outs[i]))
                           for i in range(count)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                if any("to_active" not in o for o in outs):
                    raise RuntimeError(f"a boot failed; see {cloud.state}/agent.log")
                samples.extend(outs)
                for o in outs:
                    api.call("DELETE", f"/servers/{o['id']}")
                wait(lambda: not api.call("GET", "/servers")["servers"], 120, "deletes")
            results[f"{count} at once"] = _summary(samples)
            log(f"{count} at once: {results[f'{count} at once']}")
    finally:
        cloud.stop()
        started.stop()
    return results


def _summary(samples: list[dict[str, float]]) -> dict[str, float]:
    act = [s["to_active"] for s in samples]
    ban = [s["to_banner"] for s in samples]
    return {"create_to_active_median_s": round(statistics.median(act), 2),
            "create_to_active_max_s": round(max(act), 2),
            "active_to_banner_median_s": round(statistics.median(ban), 2),
            "active_to_banner_max_s": round(max(ban), 2), "samples": len(samples)}


def listing(args: argparse.Namespace) -> dict[str, Any]:
    # Overcommit so that one fake host takes every server.
    cloud = BenchCloud("fake", "cpu_allocation_ratio = 1000.0\nram_allocation_ratio = 1000.0\n"
                               "disk_allocation_ratio = 1000.0\n")
    results: dict[str, Any] = {}
    try:
        cloud.start()
        conn = cloud.sdk()
        wait(lambda: any(True for _ in conn.compute.services()), 60, "the agent")
        project = conn.current_project_id
        conn.compute.update_quota_set(project, instances=-1, cores=-1, ram=-1)
        disk = cloud.state / "tiny.qcow2"
        import subprocess

        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"],
                       check=True)
        image = conn.image.create_image(name="tiny", filename=str(disk), disk_format="qcow2",
                                        container_format="bare", wait=True)
        api = Api(cloud.url, conn.auth_token)
        made = 0
        while made < args.list:
            batch = min(100, args.list - made)
            api.call("POST", "/servers", {"server": {
                "name": "l", "imageRef": image.id, "flavorRef": "42", "networks": "none",
                "min_count": batch, "max_count": batch}})
            made += batch
        wait(lambda: len(api.call("GET", f"/servers?status=ACTIVE&limit={args.list}")
                         ["servers"]) >= args.list, 300, "servers ACTIVE", step=0.5)
        for path, version in ((f"/servers/detail?limit={args.list}", "2.96"),
                              (f"/servers/detail?limit={args.list}", "2.1"),
                              (f"/servers?limit={args.list}", "2.96")):
            times = []
            for _ in range(args.list_requests):
                t0 = time.perf_counter()
                got = api.call("GET", path, version=version)
                times.append((time.perf_counter() - t0) * 1000)
                assert len(got["servers"]) == args.list
            key = f"GET {path.split('?')[0]} ({version})"
            results[key] = {"median_ms": round(statistics.median(times), 1),
                            "max_ms": round(max(times), 1), "requests": len(times)}
            log(f"{key}: {results[key]}")
    finally:
        cloud.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.compute", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--counts", default="1,5", help="servers created at once, per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--list", type=int, default=1000, help="servers to list")
    p.add_argument("--list-requests", type=int, default=20)
    p.add_argument("--skip-boot", action="store_true")
    p.add_argument("--skip-list", action="store_true")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    args.counts = [int(x) for x in args.counts.split(",") if x.strip()]
    results: dict[str, Any] = {}
    if not args.skip_boot:
        results["boot"] = boots(args)
    if not args.skip_list:
        results["list"] = listing(args)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0
