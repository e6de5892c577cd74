"""Network (Neutron v2.0): networks, subnets, subnet pools, ports, routers, floating IPs,
security groups, quotas and agents. The API writes desired state; the network agent on
each host (bridges, dnsmasq, nftables) converges to it and reports back."""

from runtime.common.services import ServiceInfo

SERVICE = ServiceInfo(
    name="neutron",
    type="network",
    prefix="/networking",
    api_module="runtime.network.api",
    # Neutron's catalog endpoint is unversioned: clients add /v2.0 themselves.
    endpoint_path="",
)
