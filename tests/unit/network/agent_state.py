"""Desired states as the controller serves them, for the agent's unit tests."""

from __future__ import annotations

from typing import Any

HOST = "cmp1"
NET_A = "aaaaaaaa-1111-4111-8111-111111111111"
NET_B = "bbbbbbbb-2222-4222-8222-222222222222"
EXT = "eeeeeeee-3333-4333-8333-333333333333"
SUB_A = "5a000000-0000-4000-8000-000000000001"
SUB_B = "5b000000-0000-4000-8000-000000000002"
SUB_A6 = "5a600000-0000-4000-8000-000000000003"
SUB_EXT = "5e000000-0000-4000-8000-000000000004"


def subnet(sid: str, net: str, cidr: str, gateway: str | None, version: int = 4,
           **extra: Any) -> dict[str, Any]:
    return {"id": sid, "network_id": net, "ip_version": version, "cidr": cidr,
            "gateway_ip": gateway, "enable_dhcp": True, "ipv6_ra_mode": None,
            "ipv6_address_mode": None, "dns_nameservers": [], "host_routes": [],
            "allocation_pools": [], **extra}


def network(nid: str, subnets: list[dict[str, Any]], *, kind: str = "vxlan",
            seg: int | None = 100, physnet: str | None = None, dhcp: bool = True,
            routed: bool = False, external: bool = False) -> dict[str, Any]:
    return {"id": nid, "project_id": "p", "network_type": kind, "physical_network": physnet,
            "segmentation_id": seg, "mtu": 1450 if kind == "vxlan" else 1500,
            "admin_state_up": True, "external": external, "dhcp": dhcp, "routed": routed,
            "subnets": subnets}


def port(pid: str, net: str, mac: str, ips: list[tuple[str, str]], *, host: str = HOST,
         owner: str = "compute:nova", groups: list[str] | None = None,
         pairs: list[dict[str, str]] | None = None, security: bool = True,
         device_id: str = "dev", status: str = "DOWN") -> dict[str, Any]:
    fixed = [{"subnet_id": s, "ip_address": a} for s, a in ips]
    return {"id": pid, "network_id": net, "project_id": "p", "mac_address": mac,
            "fixed_ips": fixed, "device_owner": owner, "device_id": device_id,
            "admin_state_up": True, "port_security_enabled": security,
            "security_groups": groups or [], "allowed_address_pairs": pairs or [],
            "extra_dhcp_opts": [], "host": host, "status": status,
            "hostname": "host-" + fixed[0]["ip_address"].replace(".", "-") if fixed else ""}


def two_projects() -> dict[str, Any]:
    """Two networks with the same CIDR and the same guest address, a router on A with a
    gateway and a floating IP, DHCP for both served here."""
    sub_a = subnet(SUB_A, NET_A, "10.0.0.0/24", "10.0.0.1", dns_nameservers=["9.9.9.9"],
                   host_routes=[{"destination": "192.168.0.0/16", "nexthop": "10.0.0.254"}])
    sub_b = subnet(SUB_B, NET_B, "10.0.0.0/24", "10.0.0.1")
    sub_ext = subnet(SUB_EXT, EXT, "172.24.4.0/24", "172.24.4.1", enable_dhcp=False)
    guest_a = port("pa000000-0000-4000-8000-00000000000a", NET_A, "fa:16:3e:00:00:0a",
                   [(SUB_A, "10.0.0.5")], groups=["sg-web"])
    guest_b = port("pb000000-0000-4000-8000-00000000000b", NET_B, "fa:16:3e:00:00:0b",
                   [(SUB_B, "10.0.0.5")], groups=["sg-b"])
    dhcp_a = port("da000000-0000-4000-8000-0000000000da", NET_A, "fa:16:3e:00:00:da",
                  [(SUB_A, "10.0.0.2")], owner="network:dhcp", security=False)
    dhcp_b = port("db000000-0000-4000-8000-0000000000db", NET_B, "fa:16:3e:00:00:db",
                  [(SUB_B, "10.0.0.2")], owner="network:dhcp", security=False)
    rif = port("ra000000-0000-4000-8000-0000000000ra", NET_A, "fa:16:3e:00:00:01",
               [(SUB_A, "10.0.0.1")], owner="network:router_interface", security=False,
               device_id="router-1")
    rgw = port("rg000000-0000-4000-8000-0000000000rg", EXT, "fa:16:3e:00:00:99",
               [(SUB_EXT, "172.24.4.10")], owner="network:router_gateway", security=False,
               device_id="router-1")
    other_host = port("po000000-0000-4000-8000-0000000000ff", NET_A, "fa:16:3e:00:00:ff",
                      [(SUB_A, "10.0.0.9")], host="cmp2", groups=["sg-web"])
    return {
        "host": HOST,
        "networks": [network(NET_A, [sub_a], seg=100, routed=True),
                     network(NET_B, [sub_b], seg=200),
                     network(EXT, [sub_ext], kind="flat", seg=None, physnet="extnet",
                             dhcp=False, external=True)],
        "ports": [guest_a, guest_b, dhcp_a, dhcp_b, rif, rgw, other_host],
        "routers": [{"id": "router-1", "project_id": "p", "admin_state_up": True,
                     "enable_snat": True,
                     "routes": [{"destination": "192.168.0.0/16", "nexthop": "10.0.0.254"}],
                     "gateway": rgw, "interfaces": [rif],
                     "floating_ips": [{"id": "f1", "floating_ip_address": "172.24.4.20",
                                       "fixed_ip_address": "10.0.0.5",
                                       "port_id": guest_a["id"]}]}],
        "security_groups": {
            "sg-web": {"stateful": True, "rules": [
                {"id": "r1", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                 "port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0",
                 "remote_group_id": None},
                {"id": "r2", "direction": "ingress", "ethertype": "IPv4", "protocol": None,
                 "port_range_min": None, "port_range_max": None, "remote_ip_prefix": None,
                 "remote_group_id": "sg-web"},
                {"id": "r3", "direction": "egress", "ethertype": "IPv4", "protocol": None,
                 "port_range_min": None, "port_range_max": None, "remote_ip_prefix": None,
                 "remote_group_id": None}]},
            "sg-b": {"stateful": True, "rules": []}},
        "remote_groups": {"sg-web": ["10.0.0.5", "10.0.0.9"]},
        "tunnel_endpoints": [{"host": "net1", "ip": "192.0.2.11"},
                             {"host": "cmp2", "ip": "192.0.2.13"}],
    }
