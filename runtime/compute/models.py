"""Compute tables.

A server row is the desired state (vm_state/task_state, its host) plus what the agent
last reported (power_state, fault). Servers are removed once their host has destroyed
them; instance actions outlive them, as in Nova. Each compute host's ``generation``
grows whenever anything assigned to it changes, which is what agents long-poll on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from runtime.common.db import Base, UTCDateTime, utcnow

ID = String(64)
UUID = String(36)


class Flavor(Base):
    __tablename__ = "compute_flavor"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Nova's flavorid
    name: Mapped[str] = mapped_column(String(255), unique=True)
    memory_mb: Mapped[int] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer)
    root_gb: Mapped[int] = mapped_column(Integer, default=0)
    ephemeral_gb: Mapped[int] = mapped_column(Integer, default=0)
    swap: Mapped[int] = mapped_column(Integer, default=0)
    rxtx_factor: Mapped[float] = mapped_column(Float, default=1.0)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class FlavorExtraSpec(Base):
    __tablename__ = "compute_flavor_extra_spec"
    flavor_id: Mapped[str] = mapped_column(
        ForeignKey("compute_flavor.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class FlavorAccess(Base):
    __tablename__ = "compute_flavor_access"
    flavor_id: Mapped[str] = mapped_column(
        ForeignKey("compute_flavor.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)


class KeyPair(Base):
    __tablename__ = "compute_keypair"
    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    id: Mapped[int] = mapped_column(Integer, unique=True)
    type: Mapped[str] = mapped_column(String(16), default="ssh")
    fingerprint: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Service(Base):
    """A compute host's nova-compute service: enabled or not, up or not."""

    __tablename__ = "compute_service"
    __table_args__ = (UniqueConstraint("host", "binary"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, unique=True)
    host: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255), default="nova-compute")
    zone: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255), default=None)
    forced_down: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Grows with every change to the host's servers: agents long-poll on it.
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Node(Base):
    """A hypervisor: the resources a compute host reported."""

    __tablename__ = "compute_node"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, unique=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("compute_service.id", ondelete="CASCADE"), unique=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    hypervisor_hostname: Mapped[str] = mapped_column(String(255))
    hypervisor_type: Mapped[str] = mapped_column(String(64))
    hypervisor_version: Mapped[int] = mapped_column(Integer, default=0)
    host_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    vcpus: Mapped[int] = mapped_column(Integer, default=0)
    memory_mb: Mapped[int] = mapped_column(Integer, default=0)
    local_gb: Mapped[int] = mapped_column(Integer, default=0)
    free_disk_gb: Mapped[int] = mapped_column(Integer, default=0)
    cpu_info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Server(Base):
    __tablename__ = "compute_server"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    hostname: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    user_id: Mapped[str] = mapped_column(ID)
    image_ref: Mapped[str] = mapped_column(String(255), default="")
    flavor_id: Mapped[str] = mapped_column(String(255))
    # The flavor as it was at boot (flavors may change or go; the server keeps its own).
    flavor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # During a resize: the flavor it is moving to (or back from, until confirmed).
    new_flavor: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    key_name: Mapped[str | None] = mapped_column(String(255), default=None)
    key_data: Mapped[str | None] = mapped_column(Text, default=None)
    user_data: Mapped[str | None] = mapped_column(Text, default=None)
    config_drive: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_zone: Mapped[str | None] = mapped_column(String(255), default=None)
    requested_zone: Mapped[str | None] = mapped_column(String(255), default=None)
    host: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    node: Mapped[str | None] = mapped_column(String(255), default=None)
    vm_state: Mapped[str] = mapped_column(String(32), index=True)
    task_state: Mapped[str | None] = mapped_column(String(32), default=None)
    power_state: Mapped[int] = mapped_column(Integer, default=0)
    # Reboot and rebuild requests the agent has not carried out yet get a new serial, so
    # an agent can tell a second reboot from the first.
    task_serial: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_by: Mapped[str | None] = mapped_column(String(16), default=None)
    locked_reason: Mapped[str | None] = mapped_column(String(255), default=None)
    access_ipv4: Mapped[str | None] = mapped_column(String(64), default=None)
    access_ipv6: Mapped[str | None] = mapped_column(String(64), default=None)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    fault: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    reservation_id: Mapped[str] = mapped_column(String(64), default="")
    launch_index: Mapped[int] = mapped_column(Integer, default=0)
    # What the agent should do beyond the states (rescue image, snapshot target...).
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ServerTag(Base):
    __tablename__ = "compute_server_tag"
    server_id: Mapped[str] = mapped_column(
        ForeignKey("compute_server.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)


class ConsoleLog(Base):
    """The tail of a server's serial console, as its agent shipped it."""

    __tablename__ = "compute_console_log"
    server_id: Mapped[str] = mapped_column(
        ForeignKey("compute_server.id", ondelete="CASCADE"), primary_key=True)
    # Bytes of the log file the agent has sent so far (the text kept is a tail of them).
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InstanceAction(Base):
    __tablename__ = "compute_instance_action"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    server_id: Mapped[str] = mapped_column(UUID, index=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    message: Mapped[str | None] = mapped_column(String(255), default=None)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finish_time: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InstanceActionEvent(Base):
    __tablename__ = "compute_instance_action_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("compute_instance_action.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    result: Mapped[str | None] = mapped_column(String(16), default=None)
    traceback: Mapped[str | None] = mapped_column(Text, default=None)
    host: Mapped[str | None] = mapped_column(String(255), default=None)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finish_time: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    details: Mapped[str | None] = mapped_column(Text, default=None)


class Quota(Base):
    """A quota set by an admin; user_id "" is the project's own limit."""

    __tablename__ = "compute_quota"
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, primary_key=True, default="")
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer)


class ServerGroup(Base):
    __tablename__ = "compute_server_group"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(ID, index=True)
    user_id: Mapped[str] = mapped_column(ID)
    policy: Mapped[str] = mapped_column(String(64))
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServerGroupMember(Base):
    __tablename__ = "compute_server_group_member"
    group_id: Mapped[str] = mapped_column(
        ForeignKey("compute_server_group.id", ondelete="CASCADE"), primary_key=True)
    server_id: Mapped[str] = mapped_column(UUID, primary_key=True, index=True)


class Aggregate(Base):
    """A host aggregate; its ``availability_zone`` metadata puts its hosts in a zone."""

    __tablename__ = "compute_aggregate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AggregateHost(Base):
    __tablename__ = "compute_aggregate_host"
    aggregate_id: Mapped[int] = mapped_column(
        ForeignKey("compute_aggregate.id", ondelete="CASCADE"), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class Migration(Base):
    """A server moving between flavors (a resize) or hosts; os-migrations lists them."""

    __tablename__ = "compute_migration"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, unique=True)
    server_id: Mapped[str] = mapped_column(UUID, index=True)
    project_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    migration_type: Mapped[str] = mapped_column(String(32), default="resize")
    status: Mapped[str] = mapped_column(String(32))
    source_compute: Mapped[str | None] = mapped_column(String(255), default=None)
    dest_compute: Mapped[str | None] = mapped_column(String(255), default=None)
    old_flavor_id: Mapped[str] = mapped_column(String(255))
    new_flavor_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
