"""A four-host cloud (controller, network1, compute1, storage1) deployed over SSH into
network namespaces with their own sshd (tests/e2e/installer/hosts.py): the API answers
on the controller's address, compute1's agent reports in, the network agents of network1
(DHCP, routers, metadata) and compute1 (bridges) report in and network1 serves a new
network's DHCP over its VXLAN tunnel address, a re-run changes nothing on
any host, a deployment killed midway finishes when re-run, destroy empties every host,
and a host that is down stops a deployment before anything changes, which then
finishes once the host is back.

What these hosts cannot be, and what the inventory says instead:
- SQLite on the controller, not PostgreSQL: the hosts share the machine's
  /etc/postgresql and /var/lib/postgresql, and the database role configures and
  restarts the first cluster it finds, which would be the machine's own.
- The fake compute driver (`haneul_compute_driver: fake`): libvirtd in a namespace host
  would share the machine's /run/libvirt, /etc/libvirt and its QEMU user setup with the
  machine's own libvirtd; real guests are tested by the all-in-one test.
- No distribution packages (`haneul_manage_packages: false`) and no package index:
  the hosts share the machine's installed packages, and pip installs from a wheelhouse
  built on the machine (what an offline mirror gives a real host).
- No test image: building it needs the Debian archive, and with the fake driver no
  guest would boot it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator

import pytest

from installer.events import HostResult
from installer.runs import Run, list_runs
from tests.e2e.installer.hosts import (
    PER_HOST_DIRS,
    SSHD,
    MultinodeDeployment,
    NamespaceHosts,
    hosts_environment,
)
from tests.support import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def events(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def changed_per_host(stdout: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for event in events(stdout):
        if event["kind"] == "stats":
            hosts = event["hosts"]
            assert isinstance(hosts, dict)
            for host, stats in hosts.items():
                totals[host] = totals.get(host, 0) + stats["changed"]
    return totals


def failure(done: object) -> str:
    stdout = getattr(done, "stdout", "") or ""
    stderr = getattr(done, "stderr", "") or ""
    return stdout[-4000:] + stderr[-2000:]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MultinodeDeployment]:
    if os.geteuid() != 0:
        pytest.skip("namespace hosts need root")
    if not SSHD.exists():
        pytest.skip("no sshd: apt-get install openssh-server")
    base = tmp_path_factory.mktemp("multinode")
    with NamespaceHosts(base / "hosts", environment=hosts_environment()) as hosts:
        deployment = MultinodeDeployment(hosts, base)
        try:
            done = deployment.haneul("deploy", "--json")
            assert done.returncode == 0, failure(done)
            yield deployment
        finally:
            deployment.haneul("action", "destroy", "--yes")


def test_the_api_answers_on_the_controller_address(cloud: MultinodeDeployment) -> None:
    clouds = json.dumps((cloud.base / "clouds.yaml").read_text())
    assert cloud.api_url in clouds
    token = cloud.openstack("token", "issue", "-f", "value", "-c", "id")
    assert token.returncode == 0 and token.stdout.strip(), token.stderr


def test_compute1_reports_in(cloud: MultinodeDeployment) -> None:
    def compute1_up() -> bool:
        done = cloud.openstack("compute", "service", "list", "-f", "json")
        assert done.returncode == 0, done.stderr
        return any(s["Host"] == "compute1" and s["State"] == "up"
                   and s["Binary"] == "nova-compute" for s in json.loads(done.stdout))

    wait_for(compute1_up, 60, "compute1's agent to report in")
    hypervisors = cloud.openstack("hypervisor", "list", "-f", "json")
    assert hypervisors.returncode == 0, hypervisors.stderr
    assert [h["Hypervisor Hostname"] for h in json.loads(hypervisors.stdout)] == ["compute1"]
    # Each agent runs where its group says; the API on the controller only.
    agents = {name: cloud.hosts.ssh(name, "ls /run/haneul").stdout.split()
              for name in cloud.hosts.hosts}
    assert agents == {"controller": ["api.pid"], "network1": ["network-agent.pid"],
                      "compute1": ["compute-agent.pid", "network-agent.pid"],
                      "storage1": []}


def test_network_agents_report_in_and_network1_serves_dhcp(
        cloud: MultinodeDeployment) -> None:
    wanted = {("network1", "DHCP agent"), ("network1", "L3 agent"),
              ("network1", "Metadata agent"), ("network1", "Linux bridge agent"),
              ("compute1", "Linux bridge agent")}

    def alive() -> set[tuple[str, str]]:
        done = cloud.openstack("network", "agent", "list", "-f", "json")
        assert done.returncode == 0, done.stderr
        return {(a["Host"], a["Agent Type"]) for a in json.loads(done.stdout) if a["Alive"]}

    wait_for(lambda: alive() == wanted, 60, "the network agents to report in")
    made = cloud.openstack("network", "create", "mn-net", "-f", "json")
    assert made.returncode == 0, made.stderr
    network = json.loads(made.stdout)
    subnet = cloud.openstack("subnet", "create", "--network", "mn-net", "--subnet-range",
                             "10.88.0.0/24", "mn-subnet")
    assert subnet.returncode == 0, subnet.stderr

    def dhcp_port_active() -> bool:
        done = cloud.openstack("port", "list", "--network", "mn-net", "--device-owner",
                               "network:dhcp", "-f", "json")
        assert done.returncode == 0, done.stderr
        return [p["Status"] for p in json.loads(done.stdout)] == ["ACTIVE"]

    wait_for(dhcp_port_active, 60, "network1 to plug mn-net's DHCP port")
    inside = cloud.hosts.ssh("network1", f"ip netns exec qdhcp-{network['id']} ip -o addr")
    assert "10.88.0." in inside.stdout, inside.stdout + inside.stderr
    vni = network["provider:segmentation_id"]
    tunnel = cloud.hosts.ssh("network1", f"ip -d link show vxlan-{vni}")
    assert f"local {cloud.hosts.hosts['network1'].address}" in tunnel.stdout, tunnel.stdout


def test_a_second_deploy_changes_nothing_on_any_host(cloud: MultinodeDeployment) -> None:
    again = cloud.haneul("deploy", "--json")
    assert again.returncode == 0, failure(again)
    changed_tasks = [(e["host"], e["task"]) for e in events(again.stdout)
                     if e["kind"] == "result" and e["status"] == "changed"]
    assert changed_per_host(again.stdout) == dict.fromkeys(cloud.hosts.hosts, 0), \
        changed_tasks


def test_check_mode_runs_through_on_every_host(cloud: MultinodeDeployment) -> None:
    checked = cloud.haneul("deploy", "--check", "--json")
    assert checked.returncode == 0, failure(checked)
    assert events(checked.stdout)[-1] == {"kind": "finished", "status": "successful",
                                          "rc": 0}
    assert changed_per_host(checked.stdout) == dict.fromkeys(cloud.hosts.hosts, 0)


def test_a_deployment_killed_midway_finishes_when_re_run(
        cloud: MultinodeDeployment) -> None:
    gone = cloud.haneul("action", "destroy", "--yes")
    assert gone.returncode == 0, failure(gone)
    started = cloud.haneul("deploy", "--detach")
    assert started.returncode == 0, failure(started)
    run = list_runs(cloud.runs_dir)[-1]

    def installing() -> bool:
        return any(isinstance(e, HostResult) and e.task.startswith("Install haneul")
                   for e in run.events())

    wait_for(installing, 300, "the deployment to install haneul on a host")
    worker = int((run.path / "worker.pid").read_text())
    os.killpg(worker, signal.SIGKILL)  # the worker leads its own session
    wait_for(lambda: Run(run.path).info().status == "interrupted", 30,
             "the run to show as interrupted")
    assert not (cloud.base / "clouds.yaml").exists()  # it never got that far
    again = cloud.haneul("deploy", "--json")
    assert again.returncode == 0, failure(again)
    token = cloud.openstack("token", "issue", "-f", "value", "-c", "id")
    assert token.returncode == 0 and token.stdout.strip(), token.stderr


def test_destroy_empties_every_host(cloud: MultinodeDeployment) -> None:
    gone = cloud.haneul("action", "destroy", "--yes")
    assert gone.returncode == 0, failure(gone)
    for host in cloud.hosts.hosts.values():
        for path in PER_HOST_DIRS:
            leftovers = sorted(p.name for p in host.backing(path).iterdir())
            assert leftovers == [], (host.name, path, leftovers)
        # Nothing of Haneul's runs any more: sshd and the SSH sessions Ansible keeps
        # open (ControlPersist) are all that is left (a module may still be exiting).
        assert host.sshd_pid in host.processes()
        try:
            wait_for(lambda host=host: not host.programs(), 30,  # type: ignore[misc]
                     f"{host.name} to run nothing but sshd")
        except TimeoutError:
            raise AssertionError((host.name, host.programs())) from None
    probe = ("import socket, sys; s = socket.socket(); s.settimeout(5); "
             f"sys.exit(s.connect_ex(({cloud.hosts.hosts['controller'].address!r}, 5000)))")
    api = cloud.hosts.run_on_lan([sys.executable, "-c", probe])
    assert api.returncode != 0, "the API still answers"


def test_an_unreachable_host_stops_the_deployment_before_any_change(
        cloud: MultinodeDeployment) -> None:
    # After test_destroy_empties_every_host: every host is empty.
    cloud.hosts.power_off("compute1")
    try:
        down = cloud.haneul("deploy", "--json")
        assert down.returncode != 0, failure(down)
        unreachable = [e for e in events(down.stdout)
                       if e["kind"] == "result" and e["status"] == "unreachable"]
        assert [e["host"] for e in unreachable] == ["compute1"], failure(down)
        for host in cloud.hosts.hosts.values():  # preflight changes nothing
            for path in PER_HOST_DIRS:
                assert sorted(p.name for p in host.backing(path).iterdir()) == [], \
                    (host.name, path)
    finally:
        cloud.hosts.power_on("compute1")
    back = cloud.haneul("deploy", "--json")
    assert back.returncode == 0, failure(back)
    token = cloud.openstack("token", "issue", "-f", "value", "-c", "id")
    assert token.returncode == 0 and token.stdout.strip(), token.stderr
