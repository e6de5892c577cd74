"""Router advertisements from the router's namespace: what the plan says to announce
and the RA-only dnsmasq configuration rendered from it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from runtime.network.agent import dhcp, ra
from runtime.network.agent.plan import Advertised, AgentConfig, RouterPlan, plan
from tests.unit.network.agent_state import NET_A, NET_B, SUB_B, subnet, two_projects

CFG = AgentConfig(host="cmp1", local_ip="192.0.2.12",
                  physical_interface_mappings={"extnet": "eth1"})
SUB_A6 = "5a600000-0000-4000-8000-0000000000a6"
SUB_B6 = "5b600000-0000-4000-8000-0000000000b6"
SUB_A6X = "5a600000-0000-4000-8000-0000000000a7"


def dual_stack(mode_a: str | None = "slaac", mode_b: str | None = "dhcpv6-stateful",
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The router of ``two_projects`` on both networks, each with an IPv6 subnet too;
    network A has a second IPv6 subnet with no RA mode (something else announces it)."""
    state = two_projects()
    net_a, net_b = state["networks"][0], state["networks"][1]
    net_a["subnets"] += [
        subnet(SUB_A6, NET_A, "2001:db8:a::/64", "2001:db8:a::1", 6, ipv6_ra_mode=mode_a,
               ipv6_address_mode=mode_a, dns_nameservers=["2001:db8::53"], **(extra or {})),
        subnet(SUB_A6X, NET_A, "2001:db8:aa::/64", "2001:db8:aa::1", 6)]
    net_b["subnets"].append(subnet(SUB_B6, NET_B, "2001:db8:b::/64", "2001:db8:b::1", 6,
                                   ipv6_ra_mode=mode_b, ipv6_address_mode=mode_b))
    ports = {p["id"]: p for p in state["ports"]}
    rif_a = ports["ra000000-0000-4000-8000-0000000000ra"]
    rif_a["fixed_ips"] += [{"subnet_id": SUB_A6, "ip_address": "2001:db8:a::1"},
                           {"subnet_id": SUB_A6X, "ip_address": "2001:db8:aa::1"}]
    rif_b = {**rif_a, "id": "rb000000-0000-4000-8000-0000000000rb", "network_id": NET_B,
             "mac_address": "fa:16:3e:00:00:02",
             "fixed_ips": [{"subnet_id": SUB_B, "ip_address": "10.0.0.1"},
                           {"subnet_id": SUB_B6, "ip_address": "2001:db8:b::1"}]}
    state["ports"].append(rif_b)
    state["routers"][0]["interfaces"] = [rif_a, rif_b]
    return state


def router(state: dict[str, Any]) -> RouterPlan:
    (r,) = plan(state, CFG).routers
    return r


def test_the_plan_announces_subnets_with_an_ra_mode_on_their_interface() -> None:
    r = router(dual_stack())
    assert r.advertise == (
        Advertised("qr-ra000000-00", SUB_A6, "2001:db8:a::/64", "slaac", 1450,
                   ("2001:db8::53",)),
        Advertised("qr-rb000000-00", SUB_B6, "2001:db8:b::/64", "dhcpv6-stateful", 1450))
    # IPv4 only, or IPv6 without ipv6_ra_mode (address mode alone): nothing to announce.
    assert router(two_projects()).advertise == ()
    assert router(dual_stack(None, None)).advertise == ()
    only_address_mode = dual_stack(None, None)
    only_address_mode["networks"][0]["subnets"][1]["ipv6_address_mode"] = "slaac"
    assert router(only_address_mode).advertise == ()


def test_ra_mode_without_an_address_mode_still_announces() -> None:
    state = dual_stack("dhcpv6-stateless", None)
    state["networks"][0]["subnets"][1]["ipv6_address_mode"] = None
    assert [a.mode for a in router(state).advertise] == ["dhcpv6-stateless"]


def test_nothing_to_announce_renders_nothing(tmp_path: Path) -> None:
    assert ra.render(router(two_projects()), tmp_path) is None


def lines(mode: str, tmp_path: Path) -> list[str]:
    files = ra.render(router(dual_stack(mode, None)), tmp_path)
    assert files is not None
    return files.conf.splitlines()


@pytest.mark.parametrize(("mode", "range_mode"), [("slaac", "ra-only"),
                                                  ("dhcpv6-stateless", "ra-stateless"),
                                                  ("dhcpv6-stateful", "static")])
def test_flags_follow_the_ra_mode(mode: str, range_mode: str, tmp_path: Path) -> None:
    conf = lines(mode, tmp_path)
    assert f"dhcp-range=set:subnet-{SUB_A6},2001:db8:a::,{range_mode},64,86400s" in conf
    # enable-ra makes a static range announced as managed (M, no A); the ra-* modes set
    # A (and O for stateless) themselves.
    assert "enable-ra" in conf


def test_one_daemon_for_all_interfaces_as_default_router_with_the_mtu(
        tmp_path: Path) -> None:
    files = ra.render(router(dual_stack()), tmp_path)
    assert files is not None and files.data() == {}
    conf = files.conf.splitlines()
    assert [line for line in conf if line.startswith("interface=")] == [
        "interface=qr-ra000000-00", "interface=qr-rb000000-00"]
    # Non-zero router lifetime: guests take the router as their default route.
    assert "ra-param=qr-ra000000-00,mtu:1450,30,300" in conf
    assert "ra-param=qr-rb000000-00,mtu:1450,30,300" in conf
    assert f"dhcp-range=set:subnet-{SUB_A6},2001:db8:a::,ra-only,64,86400s" in conf
    assert f"dhcp-range=set:subnet-{SUB_B6},2001:db8:b::,static,64,86400s" in conf
    assert not any("2001:db8:aa::" in line for line in conf)  # no RA mode: not announced
    assert f"dhcp-option=tag:subnet-{SUB_A6},option6:dns-server,[2001:db8::53]" in conf


def test_advertisements_only(tmp_path: Path) -> None:
    conf = lines("dhcpv6-stateful", tmp_path)
    assert "port=0" in conf  # no DNS
    assert not any(line.startswith("dhcp-range=") and "." in line for line in conf)
    assert "dhcp-ignore=tag:dhcpv6" in conf  # the DHCP namespace answers DHCPv6
    assert "leasefile-ro" in conf and f"pid-file={tmp_path / 'pid'}" in conf
    assert "qg-" not in "\n".join(conf)  # never on the external gateway


def test_state_directories_per_kind(tmp_path: Path) -> None:
    dnsmasq = dhcp.Dnsmasq("dnsmasq", tmp_path)
    routers = dnsmasq.of_kind(ra.KIND)
    assert dnsmasq.directory("n1") == tmp_path / "dhcp" / "n1"
    assert routers.directory("r1") == tmp_path / "ra" / "r1"
    routers.directory("r1").mkdir(parents=True)
    assert routers.known() == ["r1"] and dnsmasq.known() == []
    routers.stop("r1")  # nothing runs: its directory goes all the same
    assert routers.known() == []


def test_dnsmasq_accepts_what_is_rendered(tmp_path: Path) -> None:
    program = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    if not Path(program).exists():
        pytest.skip("dnsmasq is not installed")
    files = ra.render(router(dual_stack("dhcpv6-stateless", "dhcpv6-stateful")), tmp_path)
    assert files is not None
    (tmp_path / "conf").write_text(files.conf)
    done = subprocess.run([program, "--test", f"--conf-file={tmp_path / 'conf'}"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
