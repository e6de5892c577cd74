"""Network tables: the desired state the API writes and the network agents read.

Every resource carries Neutron's standard attributes (project, name, description,
revision_number, timestamps). An agent derives what to build on its host from ports
(``binding_host_id``, ``device_owner``, ``device_id``) and what they reference; it can
tell what changed since it last looked by ``revision_number``.
Lists (pools, routes, address pairs) are JSON: they are always read and written whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from runtime.common.db import Base, UTCDateTime, utcnow

UUID = String(36)
PROJECT = String(64)


class StandardAttrs:
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True, default="")
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    revision_number: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Network(StandardAttrs, Base):
    __tablename__ = "network_network"
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    shared: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    external: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    mtu: Mapped[int] = mapped_column(Integer, default=1500)
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    network_type: Mapped[str] = mapped_column(String(16))
    physical_network: Mapped[str | None] = mapped_column(String(64), default=None)
    segmentation_id: Mapped[int | None] = mapped_column(Integer, default=None)
    availability_zone_hints: Mapped[list[Any]] = mapped_column(default=list)
    dns_domain: Mapped[str] = mapped_column(String(255), default="")
    # The deployment's default external network for auto-allocated topologies (only
    # ever true on an external network, and on one network at most).
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SegmentAllocation(Base):
    """A segment in use. The key keeps two networks off one VNI, one VLAN of a physical
    network or one flat physical network, even when several API nodes allocate at once."""

    __tablename__ = "network_segment_allocation"
    network_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    physical_network: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" if none
    segmentation_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 for flat
    network_id: Mapped[str] = mapped_column(
        ForeignKey("network_network.id", ondelete="CASCADE"), index=True)


class SubnetPool(StandardAttrs, Base):
    __tablename__ = "network_subnetpool"
    ip_version: Mapped[int] = mapped_column(Integer)
    prefixes: Mapped[list[Any]] = mapped_column(default=list)
    default_prefixlen: Mapped[int] = mapped_column(Integer)
    min_prefixlen: Mapped[int] = mapped_column(Integer)
    max_prefixlen: Mapped[int] = mapped_column(Integer)
    default_quota: Mapped[int | None] = mapped_column(Integer, default=None)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Subnet(StandardAttrs, Base):
    __tablename__ = "network_subnet"
    network_id: Mapped[str] = mapped_column(
        ForeignKey("network_network.id", ondelete="CASCADE"), index=True)
    subnetpool_id: Mapped[str | None] = mapped_column(
        ForeignKey("network_subnetpool.id"), default=None, index=True)
    ip_version: Mapped[int] = mapped_column(Integer)
    cidr: Mapped[str] = mapped_column(String(64))
    gateway_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, default=True)
    ipv6_ra_mode: Mapped[str | None] = mapped_column(String(32), default=None)
    ipv6_address_mode: Mapped[str | None] = mapped_column(String(32), default=None)
    allocation_pools: Mapped[list[Any]] = mapped_column(default=list)
    dns_nameservers: Mapped[list[Any]] = mapped_column(default=list)
    host_routes: Mapped[list[Any]] = mapped_column(default=list)
    service_types: Mapped[list[Any]] = mapped_column(default=list)


class Port(StandardAttrs, Base):
    __tablename__ = "network_port"
    __table_args__ = (UniqueConstraint("network_id", "mac_address"),)
    network_id: Mapped[str] = mapped_column(
        ForeignKey("network_network.id", ondelete="CASCADE"), index=True)
    mac_address: Mapped[str] = mapped_column(String(32))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")
    device_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    device_owner: Mapped[str] = mapped_column(String(255), default="", index=True)
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    binding_host_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    binding_vnic_type: Mapped[str] = mapped_column(String(64), default="normal")
    binding_vif_type: Mapped[str] = mapped_column(String(64), default="unbound")
    binding_profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    binding_vif_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    allowed_address_pairs: Mapped[list[Any]] = mapped_column(default=list)
    extra_dhcp_opts: Mapped[list[Any]] = mapped_column(default=list)


class IPAllocation(Base):
    """One fixed IP of a port; the primary key makes an address usable once per subnet."""

    __tablename__ = "network_ip_allocation"
    subnet_id: Mapped[str] = mapped_column(
        ForeignKey("network_subnet.id", ondelete="CASCADE"), primary_key=True)
    ip_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[str] = mapped_column(UUID, index=True)


class SecurityGroup(StandardAttrs, Base):
    __tablename__ = "network_security_group"
    stateful: Mapped[bool] = mapped_column(Boolean, default=True)


class DefaultSecurityGroup(Base):
    """The project's ``default`` group, created on first need; one per project."""

    __tablename__ = "network_default_security_group"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("network_security_group.id", ondelete="CASCADE"))


class SecurityGroupRule(StandardAttrs, Base):
    __tablename__ = "network_security_group_rule"
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("network_security_group.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    ethertype: Mapped[str] = mapped_column(String(8))
    protocol: Mapped[str | None] = mapped_column(String(40), default=None)
    port_range_min: Mapped[int | None] = mapped_column(Integer, default=None)
    port_range_max: Mapped[int | None] = mapped_column(Integer, default=None)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(64), default=None)
    remote_group_id: Mapped[str | None] = mapped_column(
        ForeignKey("network_security_group.id", ondelete="CASCADE"), default=None)


class PortSecurityGroup(Base):
    __tablename__ = "network_port_security_group"
    port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"), primary_key=True)
    # No cascade: a group in use by a port cannot be deleted (SecurityGroupInUse).
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("network_security_group.id"), primary_key=True, index=True)


class Router(StandardAttrs, Base):
    """Interfaces and the gateway are ports whose device_id is the router's id."""

    __tablename__ = "network_router"
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    gw_port_id: Mapped[str | None] = mapped_column(
        ForeignKey("network_port.id", ondelete="SET NULL"), default=None)
    enable_snat: Mapped[bool] = mapped_column(Boolean, default=True)
    routes: Mapped[list[Any]] = mapped_column(default=list)
    distributed: Mapped[bool] = mapped_column(Boolean, default=False)
    ha: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_zone_hints: Mapped[list[Any]] = mapped_column(default=list)


class FloatingIP(StandardAttrs, Base):
    """``floating_port_id`` holds the address on the external network; ``port_id`` and
    ``router_id`` say where it is NATed to while associated."""

    __tablename__ = "network_floatingip"
    floating_network_id: Mapped[str] = mapped_column(
        ForeignKey("network_network.id"), index=True)
    floating_port_id: Mapped[str] = mapped_column(
        ForeignKey("network_port.id", ondelete="CASCADE"))
    floating_ip_address: Mapped[str] = mapped_column(String(64))
    port_id: Mapped[str | None] = mapped_column(
        ForeignKey("network_port.id", ondelete="SET NULL"), default=None, index=True)
    fixed_ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    router_id: Mapped[str | None] = mapped_column(
        ForeignKey("network_router.id"), default=None, index=True)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")


class AutoAllocatedTopology(Base):
    """A project's "get me a network": the network and router made for it, once."""

    __tablename__ = "network_auto_allocated_topology"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    network_id: Mapped[str] = mapped_column(
        ForeignKey("network_network.id", ondelete="CASCADE"), index=True)
    router_id: Mapped[str | None] = mapped_column(
        ForeignKey("network_router.id", ondelete="SET NULL"), default=None, index=True)


class Tag(Base):
    __tablename__ = "network_tag"
    resource_id: Mapped[str] = mapped_column(UUID, primary_key=True)
    tag: Mapped[str] = mapped_column(String(255), primary_key=True)


class Quota(Base):
    __tablename__ = "network_quota"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    limit: Mapped[int] = mapped_column(Integer)


class Agent(Base):
    """A network agent on a host, registered and kept alive by its own reports."""

    __tablename__ = "network_agent"
    __table_args__ = (UniqueConstraint("agent_type", "host"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    agent_type: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(255), default="N/A")
    host: Mapped[str] = mapped_column(String(255), index=True)
    availability_zone: Mapped[str | None] = mapped_column(String(255), default=None)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(String(255), default=None)
    configurations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resources_synced: Mapped[bool | None] = mapped_column(Boolean, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Generation(Base):
    """One row: a counter every network write moves on, so the agents' long-polls
    notice any change (from any API process) by comparing one number."""

    __tablename__ = "network_generation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
