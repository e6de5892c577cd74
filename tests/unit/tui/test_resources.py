"""The resource tables of manage mode, and the `openstack` commands their changes equal."""

from __future__ import annotations

import pytest

from tui.manage import demo
from tui.manage.logic import row_cells
from tui.manage.resources import ORDER, RESOURCES, lookup
from tui.manage.resources.base import Action, Values
from tui.manage.resources.compute import addresses, quota_rows
from tui.manage.resources.image import size
from tui.manage.resources.network import port_range

COMMANDS = ["servers", "images", "flavors", "keypairs", "networks", "subnets", "ports",
            "routers", "floatingips", "secgroups", "projects", "users", "roles", "services",
            "endpoints", "hypervisors", "quotas"]


def test_every_command_of_the_issue_has_a_table() -> None:
    assert list(RESOURCES) == COMMANDS == list(ORDER)
    for resource in RESOURCES.values():
        assert resource.columns, resource.name
        assert resource.service in {"compute", "image", "network", "identity"}


def test_network_resources_live_in_the_network_service() -> None:
    for name in ("networks", "subnets", "ports", "routers", "floatingips", "secgroups"):
        assert RESOURCES[name].service == "network"


@pytest.mark.parametrize(("alias", "name"), [("vm", "servers"), ("fip", "floatingips"),
                                             ("sg", "secgroups"), ("image", "images"),
                                             ("SERVERS", "servers")])
def test_aliases(alias: str, name: str) -> None:
    resource = lookup(alias)
    assert resource is not None and resource.name == name


def test_server_row_cells() -> None:
    row = demo.servers(1)[0]
    assert row_cells(RESOURCES["servers"], row) == [
        "db-0000", "ACTIVE", "private=10.0.0.2", demo.uid(2, 0), "m1.tiny", demo.uid(1, 0)]


def test_addresses_and_sizes_read_like_the_cli() -> None:
    row = {"addresses": {"b": [{"addr": "10.0.0.3"}, {"addr": "fd00::3"}],
                         "a": [{"addr": "192.0.2.9"}]}}
    assert addresses(row) == "a=192.0.2.9; b=10.0.0.3, fd00::3"
    assert size({"size": 15_728_640}) == "15.0 MiB"
    assert size({"size": 512}) == "512 B"
    assert size({"size": None}) == ""


def test_quota_rows_skip_ids() -> None:
    rows = quota_rows("compute", {"id": "p", "cores": 20, "instances": 10, "name": None})
    assert [(r["name"], r["limit"]) for r in rows] == [("cores", 20), ("instances", 10)]


def test_port_range() -> None:
    assert port_range("22") == (22, 22)
    assert port_range("8000:8080") == (8000, 8080)
    assert port_range(" ") == (None, None)


def action(resource: str, name: str) -> Action:
    return next(a for a in RESOURCES[resource].actions if a.name == name)


def test_server_create_command_with_and_without_network() -> None:
    create = action("servers", "create")
    v = Values({"name": "demo", "image": "i-1", "flavor": "f-1", "network": "n-1",
                "key": "ops", "secgroups": ["s-1", "s-2"]},
               {"image": "cirros", "flavor": "m1.tiny", "network": "private", "key": "ops",
                "secgroups": ["default", "web"]})
    assert create.cli(None, v) == (
        "openstack server create --image cirros --flavor m1.tiny --network private "
        "--key-name ops --security-group default --security-group web demo")
    bare = Values({"name": "my vm", "image": "i", "flavor": "f", "network": "", "key": "",
                   "secgroups": []}, {"image": "cirros", "flavor": "m1.tiny"})
    assert create.cli(None, bare) == (
        "openstack server create --image cirros --flavor m1.tiny --nic none 'my vm'")


def test_server_action_commands() -> None:
    row = {"id": "x", "name": "web", "status": "ACTIVE"}
    assert action("servers", "delete").cli(row, Values()) == "openstack server delete web"
    assert action("servers", "reboot").cli(row, Values()) == "openstack server reboot web"
    assert action("servers", "snapshot").cli(row, Values({"name": "s1"})) == (
        "openstack server image create --name s1 web")


def test_toggles_follow_the_status() -> None:
    servers = RESOURCES["servers"]
    active = {"id": "1", "status": "ACTIVE"}
    assert [a.name for a in servers.actions_for("x", active)] == ["stop"]
    assert [a.name for a in servers.actions_for("x", {"id": "1", "status": "SHUTOFF"})] == [
        "start"]
    assert [a.name for a in servers.actions_for("p", {"id": "1", "status": "PAUSED"})] == [
        "unpause"]
    assert servers.actions_for("x", {"id": "1", "status": "BUILD"}) == []
    assert servers.actions_for("ctrl+d", None) == []  # nothing selected
    assert [a.name for a in servers.actions_for("c", None)] == ["create"]


def test_network_router_rule_commands() -> None:
    net = action("networks", "create").cli(None, Values({"name": "private",
                                                          "cidr": "10.0.0.0/24"}))
    assert net.splitlines() == [
        "openstack network create private",
        "openstack subnet create --network private --subnet-range 10.0.0.0/24 private-subnet"]
    router = action("routers", "create").cli(None, Values(
        {"name": "r1", "gateway": "n-0", "subnets": ["s-1"]},
        {"gateway": "public", "subnets": ["private-subnet"]}))
    assert router.splitlines() == [
        "openstack router create r1",
        "openstack router set --external-gateway public r1",
        "openstack router add subnet r1 private-subnet"]
    rule = action("secgroups", "add rule").cli(
        {"id": "g", "name": "web"},
        Values({"direction": "ingress", "protocol": "tcp", "ports": "22",
                "remote": "0.0.0.0/0"}))
    assert rule == ("openstack security group rule create --ingress --protocol tcp "
                    "--dst-port 22 --remote-ip 0.0.0.0/0 web")
    fip = action("floatingips", "create").cli(None, Values({"network": "n"},
                                                            {"network": "public"}))
    assert fip == "openstack floating ip create public"
    assert action("floatingips", "delete").cli({"id": "f", "floating_ip_address":
                                                "203.0.113.5"}, Values()) == (
        "openstack floating ip delete 203.0.113.5")


def test_user_command_hides_the_password() -> None:
    cli = action("users", "create").cli(None, Values({"name": "ann", "password": "s3cret",
                                                       "email": "", "project": ""}))
    assert "s3cret" not in cli
    assert cli == "openstack user create --password '****' ann"
