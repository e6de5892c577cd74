"""Settings of the network service (TOML table ``[network]``)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator


class NetworkQuotaSettings(BaseModel):
    """Default quotas of every project (Neutron's ``[quotas]``); -1 is unlimited."""

    model_config = ConfigDict(extra="forbid")

    network: int = Field(100, ge=-1, description="Networks a project may have.")
    subnet: int = Field(100, ge=-1, description="Subnets a project may have.")
    subnetpool: int = Field(-1, ge=-1, description="Subnet pools a project may have.")
    port: int = Field(500, ge=-1, description="Ports a project may have.")
    router: int = Field(10, ge=-1, description="Routers a project may have.")
    floatingip: int = Field(50, ge=-1, description="Floating IPs a project may have.")
    security_group: int = Field(10, ge=-1, description="Security groups a project may have.")
    security_group_rule: int = Field(
        100, ge=-1, description="Security group rules a project may have.")


class NetworkAgentSettings(BaseModel):
    """`haneul agent network` on one host (TOML table [network.agent])."""

    model_config = ConfigDict(extra="forbid")

    host: str | None = Field(
        None, description="Name of this host in port bindings; default: the hostname.")
    controller_url: str | None = Field(
        None, description="Base URL of the controller's API; default: public_url.")
    local_ip: str | None = Field(
        None, description="This host's tunnel address: VXLAN packets leave from it and "
        "other hosts send theirs to it. Unset: this host joins no VXLAN network.")
    vxlan_port: int = Field(4789, ge=1, le=65535, description="UDP port of VXLAN.")
    physical_interface_mappings: dict[str, str] = Field(
        default_factory=dict, description="Physical network name to the interface of this "
        "host that carries it (flat networks are bridged onto it, so it must be an "
        "interface without addresses of its own, dedicated to that network).")
    dhcp: bool = Field(True, description="Run DHCP servers (dnsmasq) for networks "
                       "scheduled to this host (a DHCP agent).")
    l3: bool = Field(True, description="Run routers scheduled to this host (an L3 agent).")
    metadata: bool = Field(True, description="Serve 169.254.169.254 inside the router and "
                           "DHCP namespaces, forwarding to the controller.")
    poll_timeout: float = Field(25.0, gt=0, description="Seconds of one long-poll.")
    heartbeat_interval: float = Field(
        10.0, gt=0, description="Seconds between the agent's reports (keep well under "
        "agent_down_time).")
    resync_interval: float = Field(
        30.0, gt=0, description="Seconds between full passes even without news.")
    settle_interval: float = Field(
        0.1, ge=0, description="Seconds the agent waits after news before it asks the "
        "controller again: during a burst of changes (ports created one after another) "
        "it converges once per interval instead of once per change.")
    device_poll_interval: float = Field(
        1.0, gt=0, description="Seconds between looks at this host's tap devices: a new "
        "guest's tap gets a pass at once (its port goes ACTIVE, and the guest, paused "
        "until then, runs). Neutron's linuxbridge agent polls every 2 s.")
    state_dir: str | None = Field(
        None, description="Where dnsmasq files and pid files live; default: "
        "STATE_DIR/network-agent.")
    dnsmasq: str = Field("dnsmasq", description="The dnsmasq program.")
    dhcp_lease_time: int = Field(86400, ge=120, description="DHCP lease time in seconds.")


class NetworkSettings(BaseModel):
    """Neutron: tenant network segmentation, MTUs, MAC addresses, DNS and quotas."""

    model_config = ConfigDict(extra="forbid")

    tenant_network_type: str = Field(
        "vxlan", pattern="^(vxlan|flat|vlan)$", description="Type of the networks projects "
        "create without provider attributes: 'vxlan' (a VNI from vni_ranges), or 'vlan' "
        "(a VLAN id from vlan_ranges on default_physical_network).")
    vni_ranges: str = Field(
        "1:1000", pattern=r"^\d+:\d+$",
        description="VXLAN network identifiers given to tenant networks, LOW:HIGH "
        "(ML2's [ml2_type_vxlan] vni_ranges).")
    vlan_ranges: str = Field(
        "", description="VLAN ids given to tenant networks of type 'vlan', "
        "PHYSNET:LOW:HIGH (ML2's [ml2_type_vlan] network_vlan_ranges); empty: none.")
    flat_networks: list[str] = Field(
        default_factory=lambda: ["*"], description="Physical networks flat networks may "
        "use; '*' allows any name (ML2's [ml2_type_flat] flat_networks).")
    default_physical_network: str = Field(
        "physnet1", description="Physical network of tenant VLAN networks.")
    global_physnet_mtu: int = Field(
        1500, ge=68, description="MTU of the underlying physical network; a network's MTU "
        "is this minus its encapsulation overhead (50 bytes for VXLAN over IPv4).")
    base_mac: str = Field(
        "fa:16:3e:00:00:00", description="MAC addresses of ports begin with the first "
        "three octets of this (Neutron's base_mac); the rest are random.")
    mac_generation_retries: int = Field(
        16, ge=1, description="Random MAC addresses tried before a port create fails.")
    dns_domain: str = Field(
        "openstacklocal", description="Domain of the names the DHCP servers give ports.")
    dns_nameservers: list[str] = Field(
        default_factory=list, description="Name servers handed out by DHCP on subnets "
        "that name none of their own.")
    max_dns_nameservers: int = Field(5, ge=0, description="Name servers a subnet may list.")
    max_subnet_host_routes: int = Field(20, ge=0, description="Host routes a subnet may list.")
    max_allowed_address_pair: int = Field(
        10, ge=0, description="Allowed address pairs a port may have.")
    max_routes: int = Field(30, ge=0, description="Extra routes a router may have.")
    default_availability_zone: str = Field(
        "nova", description="Availability zone of networks and routers that ask for none.")
    agent_down_time: int = Field(
        75, ge=1, description="Seconds without a report after which an agent shows as "
        "not alive.")
    agent_secret: str | None = Field(
        None, description="Shared secret network agents present to the internal API; "
        "defaults to the contents of STATE_DIR/network-agent.secret, created on first use.")
    pagination_max_limit: int = Field(
        1000, ge=1, description="Largest page a list returns, whatever limit asks for.")
    max_request_body_size: int = Field(
        114_688, description="Largest JSON request body in bytes.")
    agent: NetworkAgentSettings = Field(
        default_factory=lambda: NetworkAgentSettings(),
        description="The network agent of this host (TOML table [network.agent]).")
    quota: NetworkQuotaSettings = Field(
        default_factory=lambda: NetworkQuotaSettings(),
        description="Default quotas (TOML table [network.quota]).")

    @field_validator("base_mac")
    @classmethod
    def _mac(cls, value: str) -> str:
        if not re.fullmatch(r"([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}", value):
            raise ValueError("base_mac must look like fa:16:3e:00:00:00")
        return value.lower()

    @field_validator("vlan_ranges")
    @classmethod
    def _vlans(cls, value: str) -> str:
        if value and not re.fullmatch(r"[^:]+:\d+:\d+", value):
            raise ValueError("vlan_ranges must be PHYSNET:LOW:HIGH")
        return value

    def vni_range(self) -> tuple[int, int]:
        low, high = self.vni_ranges.split(":")
        return int(low), int(high)
