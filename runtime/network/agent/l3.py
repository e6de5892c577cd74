"""Routers: the NAT ruleset of a ``qrouter-<router>`` namespace (pure rendering).

SNAT of the internal subnets to the gateway address when enable_snat, and for each
floating IP a DNAT to its fixed address and an SNAT back, on the gateway leg only (traffic
between a router's own subnets is routed, never translated)."""

from __future__ import annotations

import ipaddress

from runtime.network.agent import names
from runtime.network.agent.firewall import replace_table
from runtime.network.agent.plan import RouterPlan


def gateway_addresses(router: RouterPlan) -> list[str]:
    """The gateway leg's addresses: its own, and every floating IP as a /32 so the
    router answers ARP for them on the external network."""
    if router.gateway is None:
        return []
    own = [a.cidr for a in router.gateway.addresses]
    return own + [f"{fip}/32" for fip, _ in router.floating_ips]


def render(router: RouterPlan) -> str:
    lines = replace_table("ip", names.ROUTER_TABLE)
    lines += [f"table ip {names.ROUTER_TABLE} {{",
              "chain prerouting {", "type nat hook prerouting priority -100; policy accept;"]
    gw = router.gateway
    for fip, fixed in router.floating_ips:
        lines.append(f"ip daddr {fip} dnat to {fixed}")
    lines += ["}", "chain output {", "type nat hook output priority -100; policy accept;"]
    for fip, fixed in router.floating_ips:
        lines.append(f"ip daddr {fip} dnat to {fixed}")
    lines += ["}", "chain postrouting {",
              "type nat hook postrouting priority 100; policy accept;"]
    if gw is not None:
        out = f'oifname "{gw.inner}"'
        for fip, fixed in router.floating_ips:
            lines.append(f"{out} ip saddr {fixed} snat to {fip}")
        v4 = [a for a in gw.addresses if a.version == 4]
        internal = sorted({f"{a.ip}/{a.prefixlen}" for leg in router.interfaces
                           for a in leg.addresses if a.version == 4})
        if router.snat and v4 and internal:
            nets = ", ".join(_network(c) for c in internal)
            lines.append(f"{out} ip saddr {{ {nets} }} snat to {v4[0].ip}")
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def _network(cidr: str) -> str:
    return str(ipaddress.ip_network(cidr, strict=False))
