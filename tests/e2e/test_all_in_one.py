"""The README's first command deploys an all-in-one cloud through the playbooks; the
real `openstack` CLI then uses every service (a real guest boots, and one on a tenant
network gets its address from the deployed network agent's DHCP); a second deploy
changes nothing; destroy leaves nothing running. Paths and port are the test's own.

SQLite, as the README's all-in-one; HANEUL_E2E_DATABASE=postgresql deploys the same
with PostgreSQL, the multi-host database, on this machine's cluster (which destroy
stops again if the deployment started it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.installer.aio import aio_inventory
from tests.support import BIN, REPO, free_port, wait_for

pytestmark = pytest.mark.slow
DATABASE = os.environ.get("HANEUL_E2E_DATABASE", "sqlite")


class Deployment:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.inventory = base / "inventory.yml"
        self.inventory.write_text(aio_inventory(base, self.port, DATABASE))
        self.namespaces: set[str] = set()  # the network agent's, for destroy to remove
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        self.env |= {"HANEUL_RUNS_DIR": str(base / "runs"), "HANEUL_INVENTORY":
                     str(self.inventory), "OS_CLIENT_CONFIG_FILE": str(base / "clouds.yaml")}

    def haneul(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "haneul"), *args, "-i", str(self.inventory)],
                              env=self.env, capture_output=True, text=True, timeout=900,
                              cwd=REPO)

    def openstack(self, *args: str) -> str:
        done = subprocess.run([str(BIN / "openstack"), "--os-cloud", "haneul", *args],
                              env=self.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout


def changed_per_host(stdout: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in stdout.splitlines():
        event = json.loads(line)
        if event["kind"] == "stats":
            for host, stats in event["hosts"].items():
                totals[host] = totals.get(host, 0) + stats["changed"]
    return totals


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if os.geteuid() != 0:
        pytest.skip("the all-in-one deployment installs packages and runs libvirt: root")
    d = Deployment(tmp_path_factory.mktemp("aio"))
    up = subprocess.run([str(REPO / "scripts" / "up")], env=d.env, capture_output=True,
                        text=True, timeout=1200, cwd=REPO)
    try:
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        yield d
    finally:
        d.haneul("action", "destroy", "--yes")


def test_every_deployed_service_answers_the_real_cli(deployed: Deployment) -> None:
    assert deployed.openstack("token", "issue", "-f", "value", "-c", "id").strip()
    images = json.loads(deployed.openstack("image", "list", "-f", "json"))
    assert {"haneul-test", "haneul-test-kernel", "haneul-test-ramdisk"} <= \
        {i["Name"] for i in images}
    services = json.loads(deployed.openstack("compute", "service", "list", "-f", "json"))
    assert any(s["Binary"] == "nova-compute" and s["State"] == "up" for s in services)
    server = json.loads(deployed.openstack(
        "server", "create", "--image", "haneul-test", "--flavor", "m1.tiny", "--nic", "none",
        "--wait", "aio-e2e", "-f", "json"))
    assert server["status"] == "ACTIVE"
    deployed.openstack("server", "delete", "--wait", server["id"])
    clouds = deployed.base / "clouds.yaml"
    assert clouds.stat().st_mode & 0o777 == 0o600
    if DATABASE == "postgresql":
        tables = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-d", "haneul",
                                 "-tAc", "SELECT count(*) FROM compute_server"],
                                capture_output=True, text=True, timeout=60)
        assert tables.returncode == 0, tables.stderr  # the cloud's data is in PostgreSQL


def test_a_guest_on_a_tenant_network_gets_its_address(deployed: Deployment) -> None:
    agents = json.loads(deployed.openstack("network", "agent", "list", "-f", "json"))
    assert {a["Agent Type"] for a in agents if a["Alive"]} >= {
        "DHCP agent", "L3 agent", "Linux bridge agent", "Metadata agent"}, agents
    net = json.loads(deployed.openstack("network", "create", "aio-e2e-net", "-f", "json"))
    deployed.namespaces.add(f"qdhcp-{net['id']}")
    deployed.openstack("subnet", "create", "--network", "aio-e2e-net", "--subnet-range",
                       "10.77.0.0/24", "aio-e2e-subnet")
    server = json.loads(deployed.openstack(
        "server", "create", "--image", "haneul-test", "--flavor", "m1.tiny", "--network",
        "aio-e2e-net", "--wait", "aio-e2e-net-guest", "-f", "json"))
    address = server["addresses"]["aio-e2e-net"][0]
    assert address.startswith("10.77.0."), server["addresses"]

    def leased() -> bool:
        console = deployed.openstack("console", "log", "show", server["id"])
        return f"addresses={address}" in console

    wait_for(leased, 120, f"the guest's banner to show its DHCP address {address}")
    # No config drive: the guest read its id from the metadata service, through the
    # proxy in the network's DHCP namespace.
    console = deployed.openstack("console", "log", "show", server["id"])
    assert f"instance-id={server['id']}" in console, console[-2000:]
    deployed.openstack("server", "delete", "--wait", server["id"])


def test_a_second_deploy_changes_nothing(deployed: Deployment) -> None:
    again = deployed.haneul("deploy", "--json")
    assert again.returncode == 0, again.stdout[-3000:]
    changed_tasks = [e["task"] for e in map(json.loads, again.stdout.splitlines())
                     if e["kind"] == "result" and e["status"] == "changed"]
    assert changed_per_host(again.stdout) == {"aio": 0}, changed_tasks


def test_destroy_leaves_nothing_running(deployed: Deployment) -> None:
    gone = deployed.haneul("action", "destroy", "--yes")
    assert gone.returncode == 0, gone.stdout[-3000:]
    for name in ("opt/venv", "etc", "state", "run", "clouds.yaml"):
        assert not (deployed.base / name).exists(), name
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", deployed.port)) != 0, "the API still answers"
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    assert not deployed.namespaces & set(listed.stdout.split()), "a DHCP namespace stayed"
