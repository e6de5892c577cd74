"""Router advertisements from ``qrouter-<router>`` (what radvd does for Neutron's L3
agent): one dnsmasq per router, RA only, on each interface with an IPv6 subnet whose
``ipv6_ra_mode`` is set. It announces the prefix with the flags of that mode, the
network's MTU, and itself as default router. The process is :class:`.dhcp.Dnsmasq` of
kind ``ra``; this module renders its configuration (pure).

Flags per mode (dnsmasq's range modes):

- ``slaac``: A on the prefix, no M/O (``ra-only``);
- ``dhcpv6-stateless``: A on the prefix and O (``ra-stateless``);
- ``dhcpv6-stateful``: M (and O, which M implies), no A (a ``static`` range with
  ``enable-ra``: dnsmasq announces it as managed).

The DHCPv6 service those modes imply is the DHCP namespace's: this dnsmasq answers no
DHCPv6 client (every DHCPv6 request carries dnsmasq's ``dhcpv6`` tag, ignored), so a
guest's information-request or solicit never meets a second, empty server."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from runtime.network.agent.plan import RouterPlan

KIND = "ra"  # the state subdirectory: root/ra/<router>
INTERVAL = 30  # seconds between unsolicited advertisements (dnsmasq sends faster at first)
ROUTER_LIFETIME = 300  # how long guests keep the default route without hearing again
PREFIX_LIFETIME = 86400  # valid and preferred lifetime of announced prefixes

MODES = {"slaac": "ra-only", "dhcpv6-stateless": "ra-stateless",
         "dhcpv6-stateful": "static"}


@dataclass(frozen=True)
class RaFiles:
    conf: str

    def data(self) -> dict[str, str]:
        return {}  # everything is in conf: a change restarts the daemon


def render(router: RouterPlan, directory: Path) -> RaFiles | None:
    """The RA dnsmasq's configuration of one router; None when it announces nothing."""
    announced = [a for a in router.advertise if a.mode in MODES]
    if not announced:
        return None
    legs = sorted({a.leg: a.mtu for a in announced}.items())
    conf = [
        "# Written by the haneul network agent; changes are overwritten.",
        # No DNS, no DHCPv4 (no IPv4 range), no lease database: advertisements only.
        "no-resolv", "no-hosts", "port=0", "bind-interfaces", "except-interface=lo",
        *(f"interface={leg}" for leg, _ in legs),
        "user=root", f"pid-file={directory / 'pid'}", "leasefile-ro",
        "enable-ra", "dhcp-ignore=tag:dhcpv6",
        *(f"ra-param={leg},mtu:{mtu},{INTERVAL},{ROUTER_LIFETIME}" for leg, mtu in legs),
    ]
    for a in announced:
        net = ipaddress.ip_network(a.prefix, strict=False)
        tag = "subnet-" + a.subnet_id
        conf.append(f"dhcp-range=set:{tag},{net.network_address},{MODES[a.mode]},"
                    f"{net.prefixlen},{PREFIX_LIFETIME}s")
        if a.dns_nameservers:
            # RDNSS in the advertisements (RFC 8106), as Neutron's radvd sends.
            conf.append(f"dhcp-option=tag:{tag},option6:dns-server," +
                        ",".join(f"[{ns}]" for ns in a.dns_nameservers))
    return RaFiles("\n".join(conf) + "\n")
