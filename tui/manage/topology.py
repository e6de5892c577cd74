"""The network topology as text: each network with the routers and servers on it, then how
routers join networks. Pure: rows in, lines out."""

from __future__ import annotations

from collections import defaultdict

from tui.manage.resources.base import Row


def _ips(port: Row) -> str:
    return ", ".join(str(ip.get("ip_address")) for ip in port.get("fixed_ips") or []
                     if isinstance(ip, dict))


def render(networks: list[Row], subnets: list[Row], routers: list[Row], ports: list[Row],
           servers: list[Row]) -> str:
    net_name = {n["id"]: n.get("name") or n["id"] for n in networks}
    cidrs: dict[str, list[str]] = defaultdict(list)
    for s in subnets:
        cidrs[s.get("network_id", "")].append(str(s.get("cidr")))
    router_name = {r["id"]: r.get("name") or r["id"] for r in routers}
    server_name = {s["id"]: s.get("name") or s["id"] for s in servers}
    attached: dict[str, list[str]] = defaultdict(list)  # network id -> lines
    router_nets: dict[str, list[str]] = defaultdict(list)
    placed: set[str] = set()
    for p in ports:
        owner = str(p.get("device_owner") or "")
        device, net = str(p.get("device_id")), str(p.get("network_id", ""))
        if owner.startswith("network:router_interface") and device in router_name:
            attached[net].append(f"◇ {router_name[device]} {_ips(p)}".rstrip())
            router_nets[device].append(net_name.get(net, net))
        elif owner.startswith("compute:") and device in server_name:
            attached[net].append(f"□ {server_name[device]} {_ips(p)}".rstrip())
            placed.add(device)
    for r in routers:
        gw = (r.get("external_gateway_info") or {}).get("network_id")
        if gw:
            attached[str(gw)].insert(0, f"◇ {router_name[r['id']]} (gateway)")
    # Servers whose ports the user cannot see: place them by their addresses.
    by_name = {name: nid for nid, name in net_name.items()}
    for s in servers:
        if s["id"] in placed:
            continue
        for net, addrs in (s.get("addresses") or {}).items():
            ips = ", ".join(str(a.get("addr")) for a in addrs or [] if isinstance(a, dict))
            attached[by_name.get(net, net)].append(f"□ {server_name[s['id']]} {ips}".rstrip())
            placed.add(s["id"])
    lines: list[str] = []
    for n in sorted(networks, key=lambda n: (not n.get("is_router_external"),
                                             str(n.get("name")))):
        ext = " (external)" if n.get("is_router_external") else ""
        lines.append(f"━━ {net_name[n['id']]}{ext} {' '.join(cidrs.get(n['id'], []))}".rstrip())
        items = attached.get(n["id"], [])
        for i, item in enumerate(items):
            lines.append(("  └─" if i == len(items) - 1 else "  ├─") + item)
        if not items:
            lines.append("  (nothing attached)")
    if routers:
        lines += ["", "Routers"] if lines else ["Routers"]
        for r in routers:
            gw = (r.get("external_gateway_info") or {}).get("network_id")
            joined = router_nets.get(r["id"], [])
            left = net_name.get(gw, gw) if gw else "no gateway"
            lines.append(f"  ◇ {router_name[r['id']]}: {left} ⇄ {', '.join(joined) or '—'}")
    loose = [server_name[s["id"]] for s in servers if s["id"] not in placed]
    if loose:
        lines += [""] if lines else []
        lines.append("Servers on no network: " + ", ".join(sorted(loose)))
    if not lines:
        lines = ["(no networks)"]
    return "\n".join(lines)
