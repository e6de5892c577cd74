"""network_data.json as Nova renders it from a server's ports."""

from __future__ import annotations

from typing import Any

from runtime.compute.agent import converge
from runtime.compute.guest_image.network_data import network_data

PORT = "4e0a1b2c-3d4e-5f60-7182-93a4b5c6d7e8"
NET = "9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0"


def nic(*subnets: dict[str, Any], ips: list[tuple[str, str]]) -> dict[str, Any]:
    return {"port_id": PORT, "network_id": NET, "mac_address": "fa:16:3e:12:34:56",
            "mtu": 1450, "vif_type": "bridge",
            "fixed_ips": [{"ip_address": a, "subnet_id": s} for a, s in ips],
            "subnets": list(subnets)}


V4 = {"id": "sub4", "cidr": "10.0.0.0/24", "ip_version": 4, "gateway_ip": "10.0.0.1",
      "enable_dhcp": False, "ipv6_address_mode": None, "dns_nameservers": ["192.0.2.53"],
      "host_routes": [{"destination": "172.16.0.0/16", "nexthop": "10.0.0.254"}]}
V6 = {"id": "sub6", "cidr": "2001:db8::/64", "ip_version": 6, "gateway_ip": "2001:db8::1",
      "enable_dhcp": True, "ipv6_address_mode": "slaac", "dns_nameservers": [],
      "host_routes": []}


def test_a_static_ipv4_port_with_routes_and_dns() -> None:
    doc = network_data([nic(V4, ips=[("10.0.0.5", "sub4")])])
    assert doc["links"] == [{"id": "tap4e0a1b2c-3d", "vif_id": PORT, "type": "bridge",
                             "mtu": 1450, "ethernet_mac_address": "fa:16:3e:12:34:56"}]
    assert doc["networks"] == [{
        "id": "network0", "type": "ipv4", "link": "tap4e0a1b2c-3d", "network_id": NET,
        "ip_address": "10.0.0.5", "netmask": "255.255.255.0",
        "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"},
                   {"network": "172.16.0.0", "netmask": "255.255.0.0",
                    "gateway": "10.0.0.254"}],
        "services": [{"type": "dns", "address": "192.0.2.53"}]}]
    assert doc["services"] == [{"type": "dns", "address": "192.0.2.53"}]


def test_dhcp_ipv4_and_slaac_ipv6_come_in_that_order() -> None:
    v4 = {**V4, "enable_dhcp": True}
    doc = network_data([nic(v4, V6, ips=[("2001:db8::f816:3eff:fe12:3456", "sub6"),
                                         ("10.0.0.5", "sub4")])])
    first, second = doc["networks"]
    assert first == {"id": "network0", "type": "ipv4_dhcp", "link": "tap4e0a1b2c-3d",
                     "network_id": NET}
    assert second["id"] == "network1" and second["type"] == "ipv6_slaac"
    assert second["netmask"] == "ffff:ffff:ffff:ffff::"
    assert second["routes"] == [{"network": "::", "netmask": "::",
                                 "gateway": "2001:db8::1"}]


def test_no_ports_no_links() -> None:
    assert network_data([]) == {"links": [], "networks": [], "services": []}


def test_the_agent_puts_ports_on_the_guest_and_its_config_drive() -> None:
    spec = {"id": "srv", "name": "s", "flavor": {"vcpus": 1, "ram": 64, "disk": 1},
            "image": {"id": "img"}, "config_drive": True,
            "nics": [nic(V4, ips=[("10.0.0.5", "sub4")])]}
    guest = converge.guest_spec(spec)
    assert [(v.tap, v.bridge, v.mtu) for v in guest.vifs] == [
        ("tap4e0a1b2c-3d", "brq9f8e7d6c-5b", 1450)]
    assert guest.network_data is not None
    assert guest.network_data["networks"][0]["ip_address"] == "10.0.0.5"
    bare = converge.guest_spec({**spec, "nics": []})
    assert bare.vifs == () and bare.network_data is None


def test_interfaces_are_replugged_only_without_a_task() -> None:
    spec = {"id": "srv", "task_state": None, "nics": [nic(V4, ips=[])]}
    assert converge.replug(spec, {"tapold"}) == (list(converge.vifs(spec)), ["tapold"])
    assert converge.replug(spec, {"tap4e0a1b2c-3d"}) == ([], [])
    assert converge.replug({**spec, "task_state": "spawning"}, set()) == ([], [])
    assert converge.replug(spec, None) == ([], [])
