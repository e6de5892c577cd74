"""What the network agent plans to build from the controller's desired state."""

from __future__ import annotations

from runtime.network.agent import names
from runtime.network.agent.plan import AgentConfig, plan
from tests.unit.network.agent_state import EXT, HOST, NET_A, NET_B, network, two_projects

CFG = AgentConfig(host=HOST, local_ip="192.0.2.12",
                  physical_interface_mappings={"extnet": "eth1"})


def test_names_follow_the_fixed_conventions() -> None:
    assert names.bridge(NET_A) == "brqaaaaaaaa-11"
    assert names.tap("pa000000-0000-4000-8000-00000000000a") == "tappa000000-00"
    assert names.vxlan(100) == "vxlan-100"
    assert names.dhcp_ns(NET_A) == "qdhcp-" + NET_A
    assert names.router_ns("r1") == "qrouter-r1"


def test_a_bridge_per_network_with_vxlan_to_every_other_host() -> None:
    p = plan(two_projects(), CFG)
    a, b = p.bridges[names.bridge(NET_A)], p.bridges[names.bridge(NET_B)]
    assert (a.uplink, a.uplink_kind, a.vni, a.mtu) == ("vxlan-100", "vxlan", 100, 1450)
    assert (b.uplink, b.vni) == ("vxlan-200", 200)
    assert a.remotes == ("192.0.2.11", "192.0.2.13")
    ext = p.bridges[names.bridge(EXT)]
    assert (ext.uplink, ext.uplink_kind) == ("eth1", "physical")
    assert p.refused == {}


def test_networks_this_host_cannot_carry_are_refused_with_a_reason() -> None:
    state = two_projects()
    state["networks"].append(network("cccccccc-4444-4444-8444-444444444444", [],
                                      kind="vlan", seg=42, physnet="extnet"))
    state["networks"].append(network("dddddddd-5555-4555-8555-555555555555", [],
                                      kind="flat", seg=None, physnet="nowhere"))
    p = plan(state, CFG)
    assert "802.1Q" in p.refused["cccccccc-4444-4444-8444-444444444444"]
    assert "nowhere" in p.refused["dddddddd-5555-4555-8555-555555555555"]
    with_vlan = plan(state, AgentConfig(host=HOST, local_ip="192.0.2.12",
                                        physical_interface_mappings={"extnet": "eth1"},
                                        vlan_supported=True))
    vlan = with_vlan.bridges[names.bridge("cccccccc-4444-4444-8444-444444444444")]
    assert (vlan.uplink, vlan.vlan_parent, vlan.vlan_id) == ("eth1.42", "eth1", 42)
    no_tunnel = plan(two_projects(), AgentConfig(host=HOST))
    assert "local_ip" in no_tunnel.refused[NET_A]


def test_only_guest_ports_bound_here_are_filtered_here() -> None:
    p = plan(two_projects(), CFG)
    assert sorted(port.device for port in p.ports) == ["tappa000000-00", "tappb000000-00"]
    guest = next(port for port in p.ports if port.network_id == NET_A)
    assert guest.bridge == names.bridge(NET_A)
    assert [a.cidr for a in guest.addresses] == ["10.0.0.5/24"]
    assert guest.security_groups == ("sg-web",)


def test_dhcp_serves_every_port_of_its_network_but_its_own() -> None:
    p = plan(two_projects(), CFG)
    served = {d.network_id: d for d in p.dhcp}
    assert set(served) == {NET_A, NET_B}  # the external network has DHCP off
    a = served[NET_A]
    assert a.leg is not None and a.leg.inner == "ns-da000000-00"
    assert a.leg.outer == "tapda000000-00" and a.leg.bridge == names.bridge(NET_A)
    assert {(h.mac, h.ip) for h in a.hosts} == {
        ("fa:16:3e:00:00:0a", "10.0.0.5"), ("fa:16:3e:00:00:01", "10.0.0.1"),
        ("fa:16:3e:00:00:ff", "10.0.0.9")}
    assert not a.needs_port and not a.isolated
    assert served[NET_B].isolated  # no router: metadata comes from the DHCP namespace


def test_a_network_without_its_dhcp_port_asks_the_controller_for_one() -> None:
    state = two_projects()
    state["ports"] = [p for p in state["ports"] if p["device_owner"] != "network:dhcp"]
    d = next(d for d in plan(state, CFG).dhcp if d.network_id == NET_A)
    assert d.leg is None and d.needs_port


def test_router_legs_gateway_nat_and_routes() -> None:
    (r,) = plan(two_projects(), CFG).routers
    assert r.namespace == "qrouter-router-1"
    assert [(leg.inner, [a.cidr for a in leg.addresses]) for leg in r.interfaces] == [
        ("qr-ra000000-00", ["10.0.0.1/24"])]
    assert r.gateway is not None and r.gateway.inner == "qg-rg000000-00"
    assert r.gateway_ip == "172.24.4.1" and r.snat
    assert r.floating_ips == (("172.24.4.20", "10.0.0.5"),)
    assert r.routes == (("192.168.0.0/16", "10.0.0.254"),)
    assert not r.unclaimed


def test_roles_this_host_does_not_have_plan_nothing() -> None:
    p = plan(two_projects(), AgentConfig(host=HOST, local_ip="192.0.2.12", dhcp=False,
                                         l3=False))
    assert p.dhcp == [] and p.routers == []
