"""The runtime configuration the playbooks write on each host (haneul.toml.j2), rendered
as Ansible renders it and read back by the runtime: a control host, a network host and a
compute host of one inventory must agree on what their agents need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pytest

from runtime.common.config import Config, load_config
from tests.support import REPO

TEMPLATE = REPO / "playbooks/roles/haneul_host/templates/haneul.toml.j2"
GROUPS = {"all": ["controller", "network1", "compute1"], "control": ["controller"],
          "network": ["network1"], "compute": ["compute1"]}


def render(tmp_path: Path, host: str, groups: dict[str, list[str]] = GROUPS,
           **extra: Any) -> Config:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True)
    env.filters["to_json"] = json.dumps
    variables: dict[str, Any] = {
        "inventory_hostname": host, "groups": groups, "haneul_state_dir": "/var/lib/haneul",
        "haneul_enabled_services": ["identity", "image", "compute", "network"],
        "haneul_api_bind": "0.0.0.0", "haneul_api_port": 5000, "haneul_api_workers": 1,
        "haneul_public_url": "http://10.20.0.10:5000", "haneul_database": "sqlite",
        "haneul_region": "RegionOne", "haneul_agent_secret": "c" * 32,
        "haneul_network_agent_secret": "n" * 32, "haneul_compute_host": host,
        "haneul_compute_driver": "libvirt", "haneul_tunnel_address": "10.20.0.21",
        "haneul_physical_interface_mappings": {}, **extra}
    path = tmp_path / f"{host}.toml"
    path.write_text(env.from_string(TEMPLATE.read_text()).render(variables))
    return load_config(path)


def test_network_hosts_serve_dhcp_routers_and_metadata(tmp_path: Path) -> None:
    agent = render(tmp_path, "network1").network.agent
    assert (agent.dhcp, agent.l3, agent.metadata) == (True, True, True)
    assert agent.controller_url == "http://10.20.0.10:5000"


def test_compute_hosts_run_only_bridges_and_security_groups(tmp_path: Path) -> None:
    config = render(tmp_path, "compute1")
    agent = config.network.agent
    assert (agent.dhcp, agent.l3, agent.metadata) == (False, False, False)
    # Ports are bound to the compute host's name: both agents must use the same one.
    assert agent.host == config.compute.host == "compute1"
    assert agent.local_ip == "10.20.0.21"


def test_every_host_shares_the_network_agents_secret(tmp_path: Path) -> None:
    secrets = {render(tmp_path, h).network.agent_secret for h in GROUPS["all"]}
    assert secrets == {"n" * 32}


def test_the_all_in_one_host_does_everything(tmp_path: Path) -> None:
    one = {"all": ["aio"], "control": ["aio"], "network": ["aio"], "compute": ["aio"]}
    agent = render(tmp_path, "aio", one, haneul_tunnel_address="127.0.0.1").network.agent
    assert agent.local_ip == "127.0.0.1"  # VXLAN networks need one, even without peers
    assert (agent.dhcp, agent.l3, agent.metadata) == (True, True, True)


def test_no_tunnel_address_joins_no_tunnel(tmp_path: Path) -> None:
    agent = render(tmp_path, "compute1", haneul_tunnel_address="").network.agent
    assert agent.local_ip is None


@pytest.mark.parametrize("mappings", [{}, {"physnet1": "eth1"},
                                      {"physnet1": "eth1", "public": "eth2"}])
def test_provider_interfaces_reach_the_agent(tmp_path: Path,
                                             mappings: dict[str, str]) -> None:
    agent = render(tmp_path, "network1",
                   haneul_physical_interface_mappings=mappings).network.agent
    assert agent.physical_interface_mappings == mappings
