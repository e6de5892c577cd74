"""The files and rulesets the network agent writes: nftables for security groups and
router NAT, dnsmasq's configuration."""

from __future__ import annotations

from pathlib import Path

from runtime.network.agent import dhcp, firewall, l3
from runtime.network.agent.plan import AgentConfig, plan
from tests.unit.network.agent_state import HOST, NET_A, NET_B, SUB_A6, subnet, two_projects

CFG = AgentConfig(host=HOST, local_ip="192.0.2.12",
                  physical_interface_mappings={"extnet": "eth1"})


def ruleset() -> str:
    p = plan(two_projects(), CFG)
    return firewall.render(p.ports, p.security_groups, p.remote_groups,
                           {"brqaaaaaaaa-11": 7, "brqbbbbbbbb-22": 8})


def chain(text: str, name: str) -> str:
    """One chain's rules (the renderer closes each chain on a line of its own)."""
    body = text[text.index(f"chain {name} {{"):]
    return body[:body.index("\n}")]


def test_both_tables_are_replaced_in_one_transaction() -> None:
    text = ruleset()
    assert text.startswith("table bridge haneul-ports\ndelete table bridge haneul-ports\n")
    assert "table inet haneul-sg\ndelete table inet haneul-sg\n" in text


def test_ports_are_keyed_by_device_and_mac_never_by_address_alone() -> None:
    text = ruleset()
    # Same address 10.0.0.5 in two projects: two ports, two marks, two spoof chains.
    assert 'iifname "tappa000000-00" meta mark set 0x00010000 jump spoof-1' in text
    assert 'iifname "tappb000000-00" meta mark set 0x00020000 jump spoof-2' in text
    assert 'oifname "tappa000000-00" meta mark set meta mark | 0x00000001' in text
    assert "ether saddr != { fa:16:3e:00:00:0a } drop" in text
    assert "ether saddr fa:16:3e:00:00:0a ip saddr { 10.0.0.5 } return" in text
    # Conntrack zones per bridge keep identical connections apart.
    assert 'iifname "brqaaaaaaaa-11" ct zone set 7' in text
    assert 'iifname "brqbbbbbbbb-22" ct zone set 8' in text


def test_guests_may_use_dhcp_but_never_serve_it() -> None:
    text = ruleset()
    assert "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return" in text
    assert "udp sport 67 drop" in text and "icmpv6 type nd-router-advert drop" in text


def test_rules_are_stateful_and_ingress_is_denied_by_default() -> None:
    text = ruleset()
    ingress = chain(text, "ingress-1")
    assert "ct state established,related accept" in ingress
    assert "meta nfproto ipv4 meta l4proto tcp ip saddr . tcp dport { 0.0.0.0/0 . 80 } accept" \
        in ingress
    assert "meta nfproto ipv4 ip saddr { 10.0.0.5, 10.0.0.9 } accept" in ingress
    assert ingress.rstrip().endswith("drop")
    assert "meta nfproto ipv4 return" in chain(text, "egress-1")
    # Project B's group has no rules: its port lets nothing new in.
    b = chain(text, "ingress-2")
    assert "tcp dport" not in b and b.rstrip().endswith("drop")


def test_allowed_address_pairs_may_send_from_their_own_mac() -> None:
    state = two_projects()
    state["ports"][0]["allowed_address_pairs"] = [
        {"ip_address": "10.0.0.100/30", "mac_address": "fa:16:3e:00:00:aa"}]
    p = plan(state, CFG)
    text = firewall.render(p.ports, p.security_groups, p.remote_groups, {})
    assert "ether saddr != { fa:16:3e:00:00:0a, fa:16:3e:00:00:aa } drop" in text
    assert "ether saddr fa:16:3e:00:00:aa ip saddr { 10.0.0.100/30 } return" in text


def test_icmp_and_protocol_numbers() -> None:
    rule = {"direction": "ingress", "ethertype": "IPv6", "protocol": "icmp",
            "port_range_min": 128, "port_range_max": 0, "remote_ip_prefix": "::/0",
            "remote_group_id": None}
    assert firewall._rule(rule, True, {}, "accept") == \
        "meta nfproto ipv6 meta l4proto ipv6-icmp icmpv6 type 128 icmpv6 code 0 accept"
    rule.update(ethertype="IPv4", protocol="112", port_range_min=None, port_range_max=None,
                remote_ip_prefix="192.0.2.0/24")
    assert firewall._rule(rule, False, {}, "return") == \
        "meta nfproto ipv4 ip daddr 192.0.2.0/24 meta l4proto 112 return"
    rule.update(remote_ip_prefix=None, remote_group_id="empty")
    assert firewall._rule(rule, True, {"empty": []}, "accept") is None


def test_link_local_address_from_mac() -> None:
    assert firewall.link_local("fa:16:3e:00:00:0a") == "fe80::f816:3eff:fe00:a"


def test_router_nat_snat_and_floating_ips_on_the_gateway_leg_only() -> None:
    (r,) = plan(two_projects(), CFG).routers
    text = l3.render(r)
    assert text.startswith("table ip haneul-router\ndelete table ip haneul-router\n")
    assert "ip daddr 172.24.4.20 dnat to 10.0.0.5" in text
    assert 'oifname "qg-rg000000-00" ip saddr 10.0.0.5 snat to 172.24.4.20' in text
    assert 'oifname "qg-rg000000-00" ip saddr { 10.0.0.0/24 } snat to 172.24.4.10' in text
    assert l3.gateway_addresses(r) == ["172.24.4.10/24", "172.24.4.20/32"]


def test_dnsmasq_files(tmp_path: Path) -> None:
    d = next(d for d in plan(two_projects(), CFG).dhcp if d.network_id == NET_A)
    files = dhcp.render(d, tmp_path, "openstacklocal", 86400)
    conf = files.conf.splitlines()
    assert "interface=ns-da000000-00" in conf and "bind-interfaces" in conf
    assert f"pid-file={tmp_path / 'pid'}" in conf
    assert any(line.startswith("dhcp-range=set:subnet-") and ",static,255.255.255.0,"
               in line for line in conf)
    assert "fa:16:3e:00:00:0a,10.0.0.5,host-10-0-0-5" in files.hosts.splitlines()
    opts = files.opts
    assert "option:router,10.0.0.1" in opts and "option:dns-server,9.9.9.9" in opts
    # Host routes go out as option 121, repeating the default route clients then need.
    assert "option:classless-static-route,192.168.0.0/16,10.0.0.254,0.0.0.0/0,10.0.0.1" \
        in opts
    assert "option:mtu,1450" in opts


def test_isolated_networks_get_a_route_to_metadata_via_dhcp(tmp_path: Path) -> None:
    d = next(d for d in plan(two_projects(), CFG).dhcp if d.network_id == NET_B)
    assert "169.254.169.254/32,10.0.0.2" in dhcp.render(d, tmp_path, "x", 600).opts


def test_ipv6_modes(tmp_path: Path) -> None:
    state = two_projects()
    net = state["networks"][0]
    for mode, expected in (("slaac", "ra-only"), ("dhcpv6-stateless", "ra-stateless"),
                           ("dhcpv6-stateful", "static")):
        net["subnets"] = [subnet(SUB_A6, NET_A, "2001:db8::/64", "2001:db8::1", 6,
                                 ipv6_ra_mode=mode, ipv6_address_mode=mode)]
        d = next(d for d in plan(state, CFG).dhcp if d.network_id == NET_A)
        conf = dhcp.render(d, tmp_path, "x", 600).conf
        assert "enable-ra" in conf
        assert f"dhcp-range=set:subnet-{SUB_A6},2001:db8::,{expected},64,600s" in conf


def test_a_port_set_down_passes_nothing() -> None:
    state = two_projects()
    state["ports"][0]["admin_state_up"] = False
    p = plan(state, CFG)
    text = firewall.render(p.ports, p.security_groups, p.remote_groups, {})
    assert 'iifname "tappa000000-00" drop' in text
    assert 'oifname "tappa000000-00" drop' in text
    assert "jump spoof-2" not in text  # only the other port is numbered


def test_dnsmasq_accepts_what_is_rendered(tmp_path: Path) -> None:
    import shutil
    import subprocess

    import pytest

    program = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    if not Path(program).exists():
        pytest.skip("dnsmasq is not installed")
    state = two_projects()
    state["networks"][0]["subnets"].append(
        subnet(SUB_A6, NET_A, "2001:db8::/64", "2001:db8::1", 6,
               ipv6_ra_mode="dhcpv6-stateful", ipv6_address_mode="dhcpv6-stateful"))
    d = next(d for d in plan(state, CFG).dhcp if d.network_id == NET_A)
    files = dhcp.render(d, tmp_path, "openstacklocal", 86400)
    for name, text in (("conf", files.conf), ("host", files.hosts), ("opts", files.opts)):
        (tmp_path / name).write_text(text)
    # --test only parses the configuration: nothing is started or bound.
    done = subprocess.run([program, "--test", f"--conf-file={tmp_path / 'conf'}"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_leases_of_ports_gone_or_moved_are_stale(tmp_path: Path) -> None:
    leases = tmp_path / "leases"
    leases.write_text(
        "1900000000 fa:16:3e:00:00:01 10.0.0.5 host-10-0-0-5 01:fa:16:3e:00:00:01\n"
        "1900000000 fa:16:3e:00:00:02 10.0.0.6 host-10-0-0-6 *\n"
        "1900000000 fa:16:3e:00:00:03 10.0.0.7 * *\n"
        "duid 00:01:00:01:2c:aa:bb:cc:dd:ee:ff:00\n"
        "1900000000 1234 2001:db8::5 host * \n")
    hosts = "fa:16:3e:00:00:01,10.0.0.5,host-10-0-0-5\nfa:16:3e:00:00:09,10.0.0.6,x\n"
    stale = dhcp.stale_leases(leases, hosts)
    # 02 is gone (its address now another port's); 03 is gone; IPv6 lines are kept.
    assert {line.split()[1] for line in stale} == {"fa:16:3e:00:00:02", "fa:16:3e:00:00:03"}
    assert dhcp.stale_leases(tmp_path / "none", hosts) == set()
