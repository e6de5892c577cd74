"""Identity tables.

Domains are projects with ``is_domain`` set, as in Keystone, so that ``parent_id`` of a
top-level project is its domain and one table answers both. ``extra`` holds the
arbitrary attributes Keystone keeps for users, projects, services and the rest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from runtime.common.db import Base, UTCDateTime, utcnow

ID = String(64)


def _extra() -> Mapped[dict[str, Any]]:
    return mapped_column(default=dict)


class Generation(Base):
    """A counter bumped by every identity write, so token caches know when to refresh."""

    __tablename__ = "identity_generation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Project(Base):
    __tablename__ = "identity_project"
    __table_args__ = (UniqueConstraint("domain_id", "name", "is_domain"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_domain: Mapped[bool] = mapped_column(Boolean, default=False)
    # For a project: the domain it lives in. For a domain: None.
    domain_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("identity_project.id"), default=None, index=True
    )
    parent_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("identity_project.id"), default=None, index=True
    )
    extra: Mapped[dict[str, Any]] = _extra()
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProjectTag(Base):
    __tablename__ = "identity_project_tag"
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("identity_project.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)


class User(Base):
    __tablename__ = "identity_user"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    domain_id: Mapped[str] = mapped_column(ID, ForeignKey("identity_project.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    default_project_id: Mapped[str | None] = mapped_column(ID, default=None)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    password_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Whether the user set the current password themselves (minimum_password_age binds
    # only those; an administrator's reset may be changed at once).
    password_self_service: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Consecutive failed password authentications, for lockout_failure_attempts.
    failed_auth_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_auth_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    extra: Mapped[dict[str, Any]] = _extra()
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PasswordHistory(Base):
    """Hashes of a user's previous passwords (the current one is on the user), kept only
    as many as unique_last_password_count needs."""

    __tablename__ = "identity_password_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("identity_user.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Group(Base):
    __tablename__ = "identity_group"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    domain_id: Mapped[str] = mapped_column(ID, ForeignKey("identity_project.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    extra: Mapped[dict[str, Any]] = _extra()


class Membership(Base):
    __tablename__ = "identity_membership"
    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("identity_user.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(
        ID, ForeignKey("identity_group.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Role(Base):
    __tablename__ = "identity_role"
    __table_args__ = (UniqueConstraint("name", "domain_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # None for a global role; a domain id for a domain-specific role.
    domain_id: Mapped[str | None] = mapped_column(ID, default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    extra: Mapped[dict[str, Any]] = _extra()
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ImpliedRole(Base):
    __tablename__ = "identity_implied_role"
    prior_role_id: Mapped[str] = mapped_column(
        ID, ForeignKey("identity_role.id", ondelete="CASCADE"), primary_key=True
    )
    implied_role_id: Mapped[str] = mapped_column(
        ID, ForeignKey("identity_role.id", ondelete="CASCADE"), primary_key=True
    )


class Assignment(Base):
    """A role granted to an actor (user or group) on a target (project, domain, system)."""

    __tablename__ = "identity_assignment"
    # 'UserProject', 'GroupProject', 'UserDomain', 'GroupDomain', 'UserSystem', 'GroupSystem'
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    actor_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    target_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    role_id: Mapped[str] = mapped_column(
        ID, ForeignKey("identity_role.id", ondelete="CASCADE"), primary_key=True
    )
    inherited: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=False)


class Region(Base):
    __tablename__ = "identity_region"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    parent_region_id: Mapped[str | None] = mapped_column(String(255), default=None)
    extra: Mapped[dict[str, Any]] = _extra()


class Service(Base):
    __tablename__ = "identity_service"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict[str, Any]] = _extra()  # name, description and any other attribute


class Endpoint(Base):
    __tablename__ = "identity_endpoint"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ID, ForeignKey("identity_service.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[str | None] = mapped_column(String(255), default=None)
    interface: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict[str, Any]] = _extra()


class Credential(Base):
    __tablename__ = "identity_credential"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str | None] = mapped_column(ID, default=None)
    type: Mapped[str] = mapped_column(String(255))
    # The blob encrypted with the credential key repository, never stored in clear.
    encrypted_blob: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = _extra()


class ApplicationCredential(Base):
    __tablename__ = "identity_app_credential"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("identity_user.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str | None] = mapped_column(ID, default=None)
    secret_hash: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    unrestricted: Mapped[bool] = mapped_column(Boolean, default=False)
    system: Mapped[str | None] = mapped_column(String(16), default=None)
    roles: Mapped[list[Any]] = mapped_column(default=list)  # [{"id": ..., "name": ...}]
    access_rule_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessRule(Base):
    __tablename__ = "identity_access_rule"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, index=True)
    service: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(16))


class Trust(Base):
    __tablename__ = "identity_trust"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    trustor_user_id: Mapped[str] = mapped_column(ID, index=True)
    trustee_user_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str | None] = mapped_column(ID, default=None)
    impersonation: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    remaining_uses: Mapped[int | None] = mapped_column(Integer, default=None)
    redelegation_count: Mapped[int | None] = mapped_column(Integer, default=None)
    redelegated_trust_id: Mapped[str | None] = mapped_column(ID, default=None)
    roles: Mapped[list[Any]] = mapped_column(default=list)  # [{"id": ..., "name": ...}]
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    extra: Mapped[dict[str, Any]] = _extra()


class RevocationEvent(Base):
    """Tokens matching every non-null field, issued before ``issued_before``, are revoked."""

    __tablename__ = "identity_revocation_event"
    __table_args__ = (Index("ix_identity_revocation_event_revoked_at", "revoked_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    audit_chain_id: Mapped[str | None] = mapped_column(String(32), default=None)
    user_id: Mapped[str | None] = mapped_column(ID, default=None)
    project_id: Mapped[str | None] = mapped_column(ID, default=None)
    domain_id: Mapped[str | None] = mapped_column(ID, default=None)
    trust_id: Mapped[str | None] = mapped_column(ID, default=None)
    app_cred_id: Mapped[str | None] = mapped_column(ID, default=None)
    issued_before: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Once every token it could match has expired, the event can be pruned.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Policy(Base):
    """OS-POLICY blobs (stored and served; Haneul's own policy is in code)."""

    __tablename__ = "identity_policy"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(String(255))
    blob: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = _extra()


class EndpointGroup(Base):
    __tablename__ = "identity_endpoint_group"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProjectEndpoint(Base):
    """OS-EP-FILTER: an endpoint (or an endpoint group) associated with a project."""

    __tablename__ = "identity_project_endpoint"
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ID, primary_key=True, default="")
    endpoint_group_id: Mapped[str] = mapped_column(ID, primary_key=True, default="")


class DomainConfig(Base):
    __tablename__ = "identity_domain_config"
    domain_id: Mapped[str] = mapped_column(ID, primary_key=True)
    group: Mapped[str] = mapped_column(String(255), primary_key=True)
    option: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Consumer(Base):
    """OS-OAUTH1 consumers."""

    __tablename__ = "identity_oauth_consumer"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    secret: Mapped[str] = mapped_column(String(64))
    extra: Mapped[dict[str, Any]] = _extra()
