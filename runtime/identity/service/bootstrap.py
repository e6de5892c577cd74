"""`haneul bootstrap`: the identity records every cloud starts with (keystone-manage
bootstrap's equivalent), idempotent so it can run on every deploy."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.services import SERVICE_PACKAGES, ServiceInfo
from runtime.identity import models as m
from runtime.identity.passwords import check_password
from runtime.identity.service import assignments, credentials
from runtime.identity.service.catalog import INTERFACES
from runtime.identity.service.core import DEFAULT_DOMAIN_ID, Identity
from runtime.identity.service.users import set_password
from runtime.identity.tokens import random_id


@dataclass
class BootstrapResult:
    admin_user_id: str
    admin_project_id: str
    created_keys: bool
    # Whether any record was created or updated: deployments report `changed` from it.
    changed: bool = False


class _Changes:
    def __init__(self) -> None:
        self.any = False


def _role(s: Session, name: str, changes: _Changes) -> m.Role:
    role = s.scalar(select(m.Role).where(m.Role.name == name, m.Role.domain_id.is_(None)))
    if role is None:
        role = m.Role(id=random_id(), name=name, options={})
        s.add(role)
        s.flush()
        changes.any = True
    return role


def _imply(s: Session, prior: m.Role, implied: m.Role, changes: _Changes) -> None:
    if s.get(m.ImpliedRole, (prior.id, implied.id)) is None:
        s.add(m.ImpliedRole(prior_role_id=prior.id, implied_role_id=implied.id))
        changes.any = True


def register_service(s: Session, info: ServiceInfo, base_url: str, region: str) -> bool:
    """The service and its three endpoints; existing ones are brought up to date.
    True when anything had to change."""
    changed = False
    service = s.scalar(select(m.Service).where(m.Service.type == info.type))
    if service is None:
        service = m.Service(id=random_id(), type=info.type, enabled=True,
                            extra={"name": info.name})
        s.add(service)
        s.flush()
        changed = True
    url = base_url.rstrip("/") + info.prefix + info.endpoint_path
    for interface in INTERFACES:
        ep = s.scalar(
            select(m.Endpoint).where(
                m.Endpoint.service_id == service.id,
                m.Endpoint.interface == interface,
                m.Endpoint.region_id == region,
            )
        )
        if ep is None:
            s.add(m.Endpoint(id=random_id(), service_id=service.id, region_id=region,
                             interface=interface, url=url, enabled=True, extra={}))
            changed = True
        elif ep.url != url:
            ep.url = url
            changed = True
    return changed


def bootstrap(
    ident: Identity,
    *,
    password: str,
    username: str = "admin",
    project_name: str = "admin",
    services: list[str] | None = None,
) -> BootstrapResult:
    changes = _Changes()
    created_keys = ident.keys.setup()
    changes.any = credentials.key_repository(ident).setup() or created_keys
    ident.ensure_generation_row()
    region = ident.settings.region
    with ident.write() as s:
        domain = s.get(m.Project, DEFAULT_DOMAIN_ID)
        if domain is None:
            changes.any = True
            domain = m.Project(id=DEFAULT_DOMAIN_ID, name="Default", is_domain=True,
                               enabled=True, description="The default domain", extra={},
                               options={})
            s.add(domain)
            s.flush()
        project = s.scalar(
            select(m.Project).where(m.Project.domain_id == domain.id,
                                    m.Project.name == project_name)
        )
        if project is None:
            changes.any = True
            project = m.Project(id=random_id(), name=project_name, domain_id=domain.id,
                                parent_id=domain.id, description="Bootstrap project",
                                extra={}, options={})
            s.add(project)
        # Keystone's default roles: admin > manager > member > reader, and `service`
        # for service users (the personas of Tempest and of the upstream policies).
        admin, manager, member, reader = (_role(s, name, changes)
                                          for name in ("admin", "manager", "member", "reader"))
        _role(s, "service", changes)
        _imply(s, admin, manager, changes)
        _imply(s, admin, member, changes)
        _imply(s, manager, member, changes)
        _imply(s, member, reader, changes)
        user = s.scalar(
            select(m.User).where(m.User.domain_id == domain.id, m.User.name == username)
        )
        if user is None:
            user = m.User(id=random_id(), name=username, domain_id=domain.id, enabled=True,
                          extra={}, options={})
            s.add(user)
        # Re-running bootstrap with the same password changes nothing (so a re-deploy
        # reports changed=0); a different one, or a locked-out admin, is reset.
        if (user.password_hash is None or not check_password(password, user.password_hash)
                or user.failed_auth_count or user.password_expires_at is not None):
            set_password(user, password, ident.settings.bcrypt_rounds)
            changes.any = True
        s.flush()
        for target_type, target in ((assignments.USER_PROJECT, project.id),
                                    (assignments.USER_SYSTEM, assignments.SYSTEM_ALL)):
            changes.any = assignments.grant(s, target_type, user.id, target, admin.id) \
                or changes.any
        if s.get(m.Region, region) is None:
            s.add(m.Region(id=region, description="", extra={}))
            s.flush()
            changes.any = True
        for name in services or ["identity"]:
            info = importlib.import_module(SERVICE_PACKAGES[name]).SERVICE
            changes.any = register_service(s, info, ident.public_url, region) or changes.any
        return BootstrapResult(user.id, project.id, created_keys, changes.any)
