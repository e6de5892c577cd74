"""The wizard's answers → the inventory `haneul deploy -i` reads (no Textual here)."""

from __future__ import annotations

from pathlib import Path

import yaml

from installer.inventory import parse
from tui.install.state import (
    DEFAULT_SERVICES,
    Host,
    Storage,
    WizardState,
    all_in_one,
    from_inventory,
)

REPO = Path(__file__).resolve().parents[3]  # the checkout


def written(state: WizardState, tmp_path: Path) -> Path:
    state.inventory_path = tmp_path / "inventory.yml"
    state.inventory_path.write_text(state.to_yaml())
    return state.inventory_path


def several_hosts() -> WizardState:
    state = WizardState(mode="multi")
    state.hosts = [
        Host("controller", "10.20.0.10", roles=["control", "network"]),
        Host("compute1", "10.20.0.21", user="ops", key_file="~/.ssh/haneul",
             roles=["compute"]),
        Host("storage1", "10.20.0.31", port=2222, roles=["storage"]),
    ]
    state.prune_storage()
    return state


def test_all_in_one_matches_the_example_inventory(tmp_path: Path) -> None:
    inv = parse(written(all_in_one(), tmp_path))
    example = parse(REPO / "inventory" / "all-in-one.yml")
    assert list(inv.hosts) == ["aio"]
    for key in ("ansible_connection", "ansible_host", "ansible_python_interpreter"):
        assert inv.hosts["aio"][key] == example.hosts["aio"][key]
    assert inv.variables["haneul_api_bind"] == "127.0.0.1"
    assert inv.variables["haneul_enabled_services"] == list(DEFAULT_SERVICES)
    assert inv.roles_of("aio") == ["control", "network", "compute", "storage"]
    assert inv.hosts["aio"]["haneul_storage_backend"] == "files"
    assert inv.hosts["aio"]["haneul_storage_file_size_gb"] == 20


def test_group_members_are_written_like_the_examples() -> None:
    text = all_in_one().to_yaml()
    assert "null" not in text
    assert "haneul deploy -i" in text.splitlines()[1]


def test_several_hosts_render_ssh_details_and_groups(tmp_path: Path) -> None:
    state = several_hosts()
    state.storage["storage1"] = Storage(kind="devices", devices=["/dev/sdb", "/dev/sdc"])
    inv = parse(written(state, tmp_path))
    assert inv.groups == {"control": ["controller"], "network": ["controller"],
                          "compute": ["compute1"], "storage": ["storage1"]}
    assert inv.hosts["compute1"]["ansible_user"] == "ops"
    assert inv.hosts["compute1"]["ansible_ssh_private_key_file"] == "~/.ssh/haneul"
    assert inv.hosts["storage1"]["ansible_port"] == 2222
    assert "ansible_port" not in inv.hosts["controller"]
    assert inv.hosts["storage1"]["haneul_storage_devices"] == ["/dev/sdb", "/dev/sdc"]
    assert inv.variables["haneul_api_bind"] == "0.0.0.0"
    assert "haneul_storage_backend" not in inv.hosts["controller"]


def test_networks_are_written_only_when_given() -> None:
    state = all_in_one()
    assert not any(k.startswith("haneul_network_")
                   for k in state.to_inventory()["all"]["vars"])
    state.networks.external_interface = "eth2"
    state.networks.external_cidr = "203.0.113.0/24"
    state.networks.floating_start = "203.0.113.100"
    state.networks.floating_end = "203.0.113.200"
    variables = state.to_inventory()["all"]["vars"]
    assert variables["haneul_network_external_interface"] == "eth2"
    assert variables["haneul_network_floating_start"] == "203.0.113.100"
    assert variables["haneul_network_floating_end"] == "203.0.113.200"
    assert state.network_problems() == []


def test_an_existing_inventory_round_trips(tmp_path: Path) -> None:
    original = parse(REPO / "inventory" / "multinode.yml")
    state = from_inventory(original)
    assert state.mode == "multi"
    assert [h.name for h in state.hosts] == ["controller", "network1", "compute1",
                                             "storage1"]
    again = parse(written(state, tmp_path))
    assert again.groups == original.groups
    assert again.variables["haneul_database"] == "postgresql"  # kept, not edited
    assert {h: again.address(h) for h in again.hosts} == \
        {h: original.address(h) for h in original.hosts}
    assert all(again.hosts[h]["ansible_user"] == "root" for h in again.hosts)


def test_the_all_in_one_example_loads_as_all_in_one() -> None:
    state = from_inventory(parse(REPO / "inventory" / "all-in-one.yml"))
    assert state.mode == "aio"
    assert state.hosts[0].ssh == "ok"
    assert state.hosts[0].extra["ansible_python_interpreter"]


def test_roles_need_one_control_host_and_a_compute_host() -> None:
    state = several_hosts()
    assert state.role_problems() == []
    state.hosts[1].roles = ["control"]
    problems = state.role_problems()
    assert any("exactly one host must have the control role" in p for p in problems)
    assert any("compute role" in p for p in problems)
    state.hosts[2].roles = []
    assert "host storage1 has no role" in state.role_problems()


def test_hosts_need_names_and_distinct_addresses() -> None:
    state = several_hosts()
    state.hosts.append(Host("bad name", "10.20.0.10", roles=["compute"]))
    problems = state.host_problems()
    assert any("host name 'bad name'" in p for p in problems)
    assert any("same address 10.20.0.10" in p for p in problems)
    assert WizardState(mode="multi").host_problems() == ["add at least one host"]


def test_network_mistakes_are_explained() -> None:
    state = all_in_one()
    state.networks.management_cidr = "10.0.0.0/33"
    state.networks.tunnel_interface = "not an interface"
    state.networks.floating_start = "203.0.113.10"
    problems = state.network_problems()
    assert any("management CIDR" in p for p in problems)
    assert any("tunnel interface" in p for p in problems)
    assert any("both ends" in p for p in problems)
    state = all_in_one()
    state.networks.external_cidr = "203.0.113.0/24"
    state.networks.floating_start, state.networks.floating_end = "203.0.113.9", "198.51.100.1"
    assert state.network_problems() == ["the floating IP range must lie in 203.0.113.0/24"]
    state.networks.floating_start, state.networks.floating_end = "203.0.113.9", "203.0.113.1"
    assert state.network_problems() == ["the floating IP range ends before it starts"]


def test_storage_and_service_checks() -> None:
    state = all_in_one()
    state.storage["aio"] = Storage(kind="devices", devices=["sdb"])
    assert state.storage_problems() == ["aio: 'sdb' is not a device path (/dev/…)"]
    state.storage["aio"] = Storage(kind="files", size_gb=0)
    assert state.storage_problems() == ["aio: the storage file needs at least 1 GB"]
    state.services = ["image"]
    assert any("identity is required" in p for p in state.service_problems())
    state.services = ["identity", "compute"]
    assert state.service_problems() == ["compute needs the image service to boot servers"]


def test_storage_follows_the_storage_role() -> None:
    state = several_hosts()
    assert set(state.storage) == {"storage1"}
    state.hosts[1].roles.append("storage")
    state.prune_storage()
    assert set(state.storage) == {"compute1", "storage1"}
    state.hosts[2].roles = ["compute"]
    state.prune_storage()
    assert set(state.storage) == {"compute1"}


def test_switching_kind_replaces_the_local_host() -> None:
    state = all_in_one()
    state.set_mode("multi")
    assert state.hosts == []
    state.set_mode("aio")
    assert [h.name for h in state.hosts] == ["aio"]


def test_summary_details_come_from_the_inventory() -> None:
    state = several_hosts()
    assert state.public_url() == "http://10.20.0.10:5000"
    state.extra_vars |= {"haneul_api_port": 8774, "haneul_cloud_name": "sky",
                         "haneul_clouds_yaml": "/etc/openstack/clouds.yaml"}
    assert state.public_url() == "http://10.20.0.10:8774"
    assert (state.cloud_name(), state.clouds_yaml()) == ("sky", "/etc/openstack/clouds.yaml")
    inventory = yaml.safe_load(state.to_yaml())
    assert inventory["all"]["vars"]["haneul_cloud_name"] == "sky"


def test_storage_round_trips_through_a_file(tmp_path: Path) -> None:
    state = several_hosts()
    state.storage["storage1"] = Storage(kind="devices", devices=["/dev/sdb"])
    again = from_inventory(parse(written(state, tmp_path)))
    assert again.storage == {"storage1": Storage(kind="devices", devices=["/dev/sdb"])}
    assert again.host("compute1") == Host("compute1", "10.20.0.21", user="ops",
                                          key_file="~/.ssh/haneul", roles=["compute"])
    assert again.host("storage1").port == 2222  # type: ignore[union-attr]
