"""Network resources: networks, subnets, ports, routers, floating IPs, security groups."""

from __future__ import annotations

from typing import Any

from tui.manage.resources.base import (
    Action,
    Column,
    Conn,
    Field,
    Form,
    Resource,
    Row,
    Values,
    cmd,
    delete_action,
    opt,
    row_label,
)


def _external(row: Row) -> bool:
    return bool(row.get("is_router_external", row.get("router:external")))


def fixed_ips(row: Row) -> str:
    return ", ".join(str(ip.get("ip_address")) for ip in row.get("fixed_ips") or []
                     if isinstance(ip, dict))


def gateway(row: Row) -> str:
    info = row.get("external_gateway_info") or {}
    return str(info.get("network_id") or "") if isinstance(info, dict) else ""


NETWORK_FORM = Form("Create a network with a subnet", (
    Field("name", "Name", required=True, placeholder="private"),
    Field("subnet", "Subnet name", placeholder="NAME-subnet"),
    Field("cidr", "Subnet range (CIDR)", placeholder="10.0.0.0/24"),
))


def _create_network(conn: Conn, _row: Row | None, v: Values) -> Any:
    net = conn.network.create_network(name=v["name"])
    if v.get("cidr"):
        conn.network.create_subnet(network_id=net.id, name=v.get("subnet") or
                                   f"{v['name']}-subnet", cidr=v["cidr"], ip_version=4)
    return net


def _create_network_cli(_row: Row | None, v: Values) -> str:
    lines = [cmd("network", "create", v["name"])]
    if v.get("cidr"):
        lines.append(cmd("subnet", "create", "--network", v["name"], "--subnet-range",
                         v["cidr"], v.get("subnet") or f"{v['name']}-subnet"))
    return "\n".join(lines)


ROUTER_FORM = Form("Create a router", (
    Field("name", "Name", required=True, placeholder="router1"),
    Field("gateway", "External gateway network", "select", source="networks", keep=_external),
    Field("subnets", "Interfaces (subnets)", "multi", source="subnets"),
))


def _create_router(conn: Conn, _row: Row | None, v: Values) -> Any:
    kwargs: dict[str, Any] = {"name": v["name"]}
    if v.get("gateway"):
        kwargs["external_gateway_info"] = {"network_id": v["gateway"]}
    router = conn.network.create_router(**kwargs)
    for subnet in v.get("subnets") or []:
        conn.network.add_interface_to_router(router, subnet_id=subnet)
    return router


def _create_router_cli(_row: Row | None, v: Values) -> str:
    lines = [cmd("router", "create", v["name"])]
    if v.get("gateway"):
        lines.append(cmd("router", "set", "--external-gateway", v.label("gateway"), v["name"]))
    lines += [cmd("router", "add", "subnet", v["name"], s) for s in v.label("subnets") or []]
    return "\n".join(lines)


FIP_FORM = Form("Allocate a floating IP", (
    Field("network", "External network", "select", required=True, source="networks",
          keep=_external),
))

RULE_FORM = Form("Add a security group rule", (
    Field("direction", "Direction", "select", required=True,
          choices=(("ingress", "ingress"), ("egress", "egress")), default="ingress"),
    Field("protocol", "Protocol", "select",
          choices=(("tcp", "tcp"), ("udp", "udp"), ("icmp", "icmp")), default="tcp"),
    Field("ports", "Port or range", placeholder="22 or 8000:8080"),
    Field("remote", "Remote IP prefix", placeholder="0.0.0.0/0"),
))


def port_range(text: str) -> tuple[int | None, int | None]:
    """`22` → (22, 22); `8000:8080` → (8000, 8080); `` → (None, None)."""
    text = (text or "").strip()
    if not text:
        return None, None
    low, _, high = text.partition(":")
    return int(low), int(high or low)


def _create_rule(conn: Conn, row: Row | None, v: Values) -> Any:
    low, high = port_range(v.get("ports") or "")
    return conn.network.create_security_group_rule(
        security_group_id=(row or {})["id"], direction=v["direction"],
        protocol=v.get("protocol") or None, port_range_min=low, port_range_max=high,
        remote_ip_prefix=v.get("remote") or None, ethertype="IPv4")


def _create_rule_cli(row: Row | None, v: Values) -> str:
    return cmd("security", "group", "rule", "create", "--" + v["direction"],
               *opt("--protocol", v.get("protocol")),
               *opt("--dst-port", v.get("ports")),
               *opt("--remote-ip", v.get("remote")), row_label(row))


SECGROUP_FORM = Form("Create a security group", (
    Field("name", "Name", required=True),
    Field("description", "Description"),
))

NETWORKS = Resource(
    name="networks", title="Networks", service="network", aliases=("network", "net"),
    columns=(
        Column("Name", "name"),
        Column("Status", "status"),
        Column("Subnets", "subnet_ids"),
        Column("Shared", "is_shared"),
        Column("External", _external),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.network.networks(),
    actions=(
        Action("c", "create", "create a network with a subnet", _create_network,
               _create_network_cli, form=NETWORK_FORM, needs_row=False, confirm=False),
        delete_action("network", lambda conn, i: conn.network.delete_network(i)),
    ),
)

SUBNETS = Resource(
    name="subnets", title="Subnets", service="network", aliases=("subnet",),
    columns=(
        Column("Name", "name"),
        Column("Network", "network_id"),
        Column("CIDR", "cidr"),
        Column("Gateway", "gateway_ip"),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.network.subnets(),
    actions=(delete_action("subnet", lambda conn, i: conn.network.delete_subnet(i)),),
    status_key=None,
)

PORTS = Resource(
    name="ports", title="Ports", service="network", aliases=("port",),
    columns=(
        Column("Name", "name"),
        Column("Status", "status"),
        Column("Fixed IPs", fixed_ips),
        Column("MAC", "mac_address"),
        Column("Device owner", "device_owner"),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.network.ports(),
    actions=(delete_action("port", lambda conn, i: conn.network.delete_port(i)),),
)

ROUTERS = Resource(
    name="routers", title="Routers", service="network", aliases=("router",),
    columns=(
        Column("Name", "name"),
        Column("Status", "status"),
        Column("External gateway", gateway),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.network.routers(),
    actions=(
        Action("c", "create", "create a router with a gateway and interfaces", _create_router,
               _create_router_cli, form=ROUTER_FORM, needs_row=False, confirm=False),
        delete_action("router", lambda conn, i: conn.network.delete_router(i)),
    ),
)

FLOATING_IPS = Resource(
    name="floatingips", title="Floating IPs", service="network",
    aliases=("floatingip", "fip", "fips"),
    columns=(
        Column("Floating IP", "floating_ip_address"),
        Column("Status", "status"),
        Column("Fixed IP", "fixed_ip_address"),
        Column("Port", "port_id"),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.network.ips(),
    actions=(
        Action("c", "create", "allocate a floating IP",
               lambda conn, _r, v: conn.network.create_ip(floating_network_id=v["network"]),
               lambda _r, v: cmd("floating", "ip", "create", v.label("network")),
               form=FIP_FORM, needs_row=False, confirm=False),
        delete_action("floating ip", lambda conn, i: conn.network.delete_ip(i),
                      name_key="floating_ip_address"),
    ),
    name_key="floating_ip_address",
)

SECGROUPS = Resource(
    name="secgroups", title="Security groups", service="network",
    aliases=("secgroup", "sg", "securitygroups"),
    columns=(
        Column("Name", "name"),
        Column("Description", "description"),
        Column("Rules", lambda r: len(r.get("security_group_rules") or [])),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.network.security_groups(),
    actions=(
        Action("c", "create", "create a security group",
               lambda conn, _r, v: conn.network.create_security_group(
                   name=v["name"], description=v.get("description") or ""),
               lambda _r, v: cmd("security", "group", "create",
                                 *opt("--description", v.get("description")), v["name"]),
               form=SECGROUP_FORM, needs_row=False, confirm=False),
        Action("a", "add rule", "add a rule to the security group", _create_rule,
               _create_rule_cli, form=RULE_FORM, confirm=False),
        delete_action("security group",
                      lambda conn, i: conn.network.delete_security_group(i)),
    ),
    status_key=None,
)

RESOURCES = (NETWORKS, SUBNETS, PORTS, ROUTERS, FLOATING_IPS, SECGROUPS)
