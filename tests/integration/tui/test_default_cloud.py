"""Manage mode on the session's default cloud (tests/conftest.py `cloud`: every service
enabled by default, the network service included when it is there)."""

from __future__ import annotations

import uuid

import pytest
from textual.coordinate import Coordinate
from textual.widgets import Input, Select, SelectionList

from tests.support import Cloud
from tests.unit.tui.support import shown, until
from tui.app import HaneulApp
from tui.manage.screens.dialogs import FormScreen
from tui.manage.screens.topology import TopologyScreen
from tui.manage.widgets.table import ResourceTable

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]


def names(app: HaneulApp) -> list[str]:
    table = app.manage.query_one(ResourceTable)
    return table.column(0)


def message(app: HaneulApp) -> str:
    return str(app.manage.query_one("#message").render())


async def test_catalog_and_network_tables(cloud: Cloud) -> None:
    has_network = any(s.type == "network" for s in cloud.sdk().identity.services())
    app = HaneulApp("manage", cloud="haneul", clouds_yaml=cloud.clouds_yaml,
                    resource="services", refresh_seconds=1.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "keystone" in names(app) or "identity" in \
            app.manage.query_one(ResourceTable).column(1), "the catalog")
        await pilot.press("colon", *"networks", "enter")
        if not has_network:
            await until(pilot, lambda: "no network service" in message(app), "the message")
            return
        await until(pilot, lambda: "(" in str(app.manage.query_one("#info").render()),
                    "the networks table")
        name = "tui-net-" + uuid.uuid4().hex[:6]
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        await pilot.press(*name, "tab", "tab", *"10.77.0.0/24", "ctrl+s")
        await until(pilot, lambda: name in names(app), "the new network", 30)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TopologyScreen), "the topology")
        await until(pilot, lambda: f"━━ {name} 10.77.0.0/24" in shown(
            app.screen.query_one("#topology")), "the network drawn")
        await pilot.press("escape")
        app.manage.query_one(ResourceTable).move_cursor(row=names(app).index(name))
        await pilot.press("ctrl+d", "y")
        await until(pilot, lambda: name not in names(app), "the network deleted", 30)
        assert not any(True for _ in cloud.sdk().network.networks(name=name))



async def test_router_floating_ip_and_rule_forms(cloud: Cloud) -> None:
    conn = cloud.sdk()
    if not conn.has_service("network"):
        pytest.skip("this cloud has no network service")
    tag = uuid.uuid4().hex[:6]
    ext = conn.network.create_network(name="ext-" + tag, is_router_external=True)
    conn.network.create_subnet(network_id=ext.id, cidr="198.51.100.0/24", ip_version=4,
                               name="ext-sub-" + tag)
    net = conn.network.create_network(name="int-" + tag)
    sub = conn.network.create_subnet(network_id=net.id, cidr="10.88.0.0/24", ip_version=4,
                                     name="int-sub-" + tag)
    app = HaneulApp("manage", cloud="haneul", clouds_yaml=cloud.clouds_yaml,
                    resource="routers", refresh_seconds=1.0)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            info = app.manage.query_one("#info")
            await until(pilot, lambda: "Routers (" in str(info.render()), "routers")
            # a router with a gateway and an interface
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
            router_form = app.screen
            assert isinstance(router_form, FormScreen)
            await until(pilot, lambda: ext.id in router_form.labels.get("gateway", {}) and
                        sub.id in router_form.labels.get("subnets", {}), "the choices")
            assert net.id not in router_form.labels["gateway"]  # only external networks
            await pilot.press(*("r-" + tag))
            router_form.query_one("#field-gateway", Select).value = ext.id
            router_form.query_one("#field-subnets", SelectionList).select(sub.id)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "r-" + tag in names(app), "the router", 30)
            cli = app.manage.query_one("#cli")
            assert cli.lines[-3:] == [  # type: ignore[attr-defined]
                f"openstack router create r-{tag}",
                f"openstack router set --external-gateway ext-{tag} r-{tag}",
                f"openstack router add subnet r-{tag} int-sub-{tag}"]
            router = conn.network.find_router("r-" + tag)
            assert router.external_gateway_info["network_id"] == ext.id
            # a floating IP from the external network
            await pilot.press("colon", *"floatingips", "enter")
            await until(pilot, lambda: "Floating IPs (" in str(info.render()), "fips")
            before = set(names(app))
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
            fip_form = app.screen
            assert isinstance(fip_form, FormScreen)
            await until(pilot, lambda: ext.id in fip_form.labels.get("network", {}), "choices")
            fip_form.query_one("#field-network", Select).value = ext.id
            await pilot.press("ctrl+s")
            await until(pilot, lambda: len(set(names(app)) - before) == 1, "the new IP", 30)
            (address,) = set(names(app)) - before
            assert address.startswith("198.51.100.")
            # a security group and a rule in it
            await pilot.press("colon", *"secgroups", "enter")
            await until(pilot, lambda: "Security groups (" in str(info.render()), "groups")
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
            await pilot.press(*("sg-" + tag), "ctrl+s")
            await until(pilot, lambda: "sg-" + tag in names(app), "the group", 30)
            table = app.manage.query_one(ResourceTable)
            table.move_cursor(row=names(app).index("sg-" + tag))
            await pilot.pause()
            rules_before = int(str(table.get_cell_at(Coordinate(table.cursor_row, 2))))
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, FormScreen), "the rule form")
            rule_form = app.screen
            assert isinstance(rule_form, FormScreen)
            rule_form.query_one("#field-ports", Input).value = "22"
            rule_form.query_one("#field-remote", Input).value = "0.0.0.0/0"
            await pilot.press("ctrl+s")

            def rules() -> int:
                row = names(app).index("sg-" + tag)
                return int(str(table.get_cell_at(Coordinate(row, 2))))

            await until(pilot, lambda: rules() == rules_before + 1, "the new rule", 30)
            assert (f"openstack security group rule create --ingress --protocol tcp "
                    f"--dst-port 22 --remote-ip 0.0.0.0/0 sg-{tag}") in cli.lines  # type: ignore[attr-defined]
    finally:
        for ip in conn.network.ips(floating_network_id=ext.id):
            conn.network.delete_ip(ip)
        router = conn.network.find_router("r-" + tag)
        if router is not None:
            conn.network.remove_interface_from_router(router, subnet_id=sub.id)
            conn.network.delete_router(router)
        group = conn.network.find_security_group("sg-" + tag)
        if group is not None:
            conn.network.delete_security_group(group)
        conn.network.delete_network(net)
        conn.network.delete_network(ext)
