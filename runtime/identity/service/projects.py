"""Domains and projects (domains are projects with ``is_domain``), with tags."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.common.errors import BadRequest, Conflict, Forbidden, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.service.core import ROOT_DOMAIN_ID
from runtime.identity.tokens import random_id

PROJECT_FIELDS = ("name", "description", "enabled", "domain_id", "parent_id", "is_domain",
                  "tags", "options")


def get_domain(s: Session, domain_id: str) -> m.Project:
    d = s.get(m.Project, domain_id)
    if d is None or not d.is_domain:
        raise NotFound(f"Could not find domain: {domain_id}.")
    return d


def get_project(s: Session, project_id: str) -> m.Project:
    p = s.get(m.Project, project_id)
    if p is None or p.is_domain:
        raise NotFound(f"Could not find project: {project_id}.")
    return p


def get_project_or_domain(s: Session, project_id: str) -> m.Project:
    """What /v3/projects/{id} finds: Keystone serves a domain there too, as the
    is_domain project it is."""
    p = s.get(m.Project, project_id)
    if p is None or p.id == ROOT_DOMAIN_ID:
        raise NotFound(f"Could not find project: {project_id}.")
    return p


def domain_by_name(s: Session, name: str) -> m.Project:
    d = s.scalar(select(m.Project).where(m.Project.is_domain.is_(True), m.Project.name == name))
    if d is None:
        raise NotFound(f"Could not find domain: {name}.")
    return d


def tags_of(s: Session, project_id: str) -> list[str]:
    return list(
        s.scalars(select(m.ProjectTag.name).where(m.ProjectTag.project_id == project_id))
    )


def set_tags(s: Session, project_id: str, tags: list[str]) -> None:
    s.execute(delete(m.ProjectTag).where(m.ProjectTag.project_id == project_id))
    s.flush()
    for t in tags:
        s.add(m.ProjectTag(project_id=project_id, name=t))


def _check_unique(s: Session, name: str, domain_id: str | None, is_domain: bool,
                  exclude: str | None = None) -> None:
    q = select(m.Project.id).where(m.Project.name == name, m.Project.is_domain.is_(is_domain))
    if not is_domain:
        q = q.where(m.Project.domain_id == domain_id)
    found = s.scalar(q)
    if found is not None and found != exclude:
        what = "domain" if is_domain else "project"
        raise Conflict(
            f"Conflict occurred attempting to store {what} - it is not permitted to have "
            f"two {what}s with the same name in the same domain : {name}."
        )


def create_domain(s: Session, data: dict[str, Any], domain_id: str | None = None) -> m.Project:
    name = sch.string(data, "name", required=True, min_len=1, max_len=64)
    assert name is not None
    _check_unique(s, name, None, True)
    d = m.Project(
        id=domain_id or data.get("explicit_domain_id") or random_id(),
        name=name,
        description=sch.string(data, "description", max_len=65535, nullable=True) or "",
        enabled=sch.boolean(data, "enabled", True),
        is_domain=True,
        extra=sch.extra(data, (*PROJECT_FIELDS, "explicit_domain_id")),
        options=sch.options(data, sch.PROJECT_OPTIONS) or {},
    )
    s.add(d)
    s.flush()
    if (tags := sch.tags(data)) is not None:
        set_tags(s, d.id, tags)
    return d


def create_project(s: Session, data: dict[str, Any], default_domain_id: str) -> m.Project:
    if sch.boolean(data, "is_domain", False):
        return create_domain(s, data)
    name = sch.string(data, "name", required=True, min_len=1, max_len=64)
    assert name is not None
    parent_id = sch.string(data, "parent_id", nullable=True)
    domain_id = sch.string(data, "domain_id", nullable=True)
    if parent_id:
        parent = s.get(m.Project, parent_id)
        if parent is None:
            raise NotFound(f"Could not find project: {parent_id}.")
        parent_domain = parent.id if parent.is_domain else parent.domain_id
        if domain_id and domain_id != parent_domain:
            raise BadRequest("The project's domain must be its parent's domain.")
        domain_id = parent_domain
    domain_id = domain_id or default_domain_id
    domain = get_domain(s, domain_id)
    _check_unique(s, name, domain_id, False)
    p = m.Project(
        id=random_id(),
        name=name,
        description=sch.string(data, "description", max_len=65535, nullable=True) or "",
        enabled=sch.boolean(data, "enabled", True),
        is_domain=False,
        domain_id=domain.id,
        parent_id=parent_id or domain.id,
        extra=sch.extra(data, PROJECT_FIELDS),
        options=sch.options(data, sch.PROJECT_OPTIONS) or {},
    )
    s.add(p)
    s.flush()
    if (tags := sch.tags(data)) is not None:
        set_tags(s, p.id, tags)
    return p


def _check_mutable(obj: m.Project, data: dict[str, Any]) -> None:
    if obj.options.get("immutable") and not (
        set(data) <= {"options"} and data.get("options", {}).get("immutable") is False
    ):
        raise Forbidden(f"{'Domain' if obj.is_domain else 'Project'} {obj.id} is immutable.")


def update(s: Session, obj: m.Project, data: dict[str, Any]) -> m.Project:
    _check_mutable(obj, data)
    if "domain_id" in data and data["domain_id"] != obj.domain_id:
        raise BadRequest("Cannot change the domain of a project.")
    if "is_domain" in data and data["is_domain"] != obj.is_domain:
        raise BadRequest("Cannot change is_domain.")
    if "parent_id" in data and data["parent_id"] != obj.parent_id and not obj.is_domain:
        raise Forbidden("Cannot change the parent of a project.")
    if "name" in data:
        name = sch.string(data, "name", required=True, min_len=1, max_len=64)
        assert name is not None
        if name != obj.name:
            _check_unique(s, name, obj.domain_id, obj.is_domain, exclude=obj.id)
        obj.name = name
    if "description" in data:
        obj.description = sch.string(data, "description", max_len=65535, nullable=True) or ""
    if "enabled" in data:
        enabled = sch.boolean(data, "enabled")
        assert enabled is not None
        obj.enabled = enabled
    if (opts := sch.options(data, sch.PROJECT_OPTIONS)) is not None:
        obj.options = {**obj.options, **{k: v for k, v in opts.items() if v is not None}}
    if (tags := sch.tags(data)) is not None:
        set_tags(s, obj.id, tags)
    extra = sch.extra(data, PROJECT_FIELDS)
    if extra:
        obj.extra = {**obj.extra, **extra}
    s.flush()
    return obj


def children(s: Session, project_id: str) -> list[m.Project]:
    return list(
        s.scalars(
            select(m.Project).where(
                m.Project.parent_id == project_id, m.Project.is_domain.is_(False)
            )
        )
    )


def ancestors(s: Session, project: m.Project) -> list[m.Project]:
    """Parents up to (not including) the domain, nearest first."""
    out = []
    current = project
    while current.parent_id and current.parent_id != current.domain_id:
        parent = s.get(m.Project, current.parent_id)
        if parent is None or parent.is_domain:
            break
        out.append(parent)
        current = parent
    return out


def subtree(s: Session, project_id: str) -> list[m.Project]:
    out = []
    frontier = [project_id]
    while frontier:
        kids = list(
            s.scalars(
                select(m.Project).where(
                    m.Project.parent_id.in_(frontier), m.Project.is_domain.is_(False)
                )
            )
        )
        out.extend(kids)
        frontier = [k.id for k in kids]
    return out


def _forget_target(s: Session, target_id: str) -> None:
    s.execute(delete(m.Assignment).where(m.Assignment.target_id == target_id))
    s.execute(delete(m.ProjectEndpoint).where(m.ProjectEndpoint.project_id == target_id))


def delete_project(s: Session, project: m.Project) -> None:
    _check_mutable(project, {})
    if children(s, project.id):
        raise Forbidden(
            f"Cannot delete the project {project.id} since it is not a leaf in the "
            "hierarchy. Delete its children first."
        )
    _forget_target(s, project.id)
    s.delete(project)


def delete_domain(s: Session, domain: m.Project) -> None:
    """Delete a disabled domain with every project, user, group and role in it."""
    _check_mutable(domain, {})
    if domain.enabled:
        raise Forbidden(
            f"Cannot delete a domain that is enabled, please disable it first: {domain.id}."
        )
    projects = list(s.scalars(select(m.Project).where(m.Project.domain_id == domain.id)))
    # Leaves first, so foreign keys never point at a deleted parent.
    depth = {p.id: len(ancestors(s, p)) for p in projects}
    for p in sorted(projects, key=lambda p: -depth[p.id]):
        _forget_target(s, p.id)
        s.delete(p)
        s.flush()
    for user in s.scalars(select(m.User).where(m.User.domain_id == domain.id)):
        s.execute(delete(m.Assignment).where(m.Assignment.actor_id == user.id))
        # What a user owns goes with them (memberships and application credentials
        # follow by foreign-key cascade).
        s.execute(delete(m.Credential).where(m.Credential.user_id == user.id))
        s.execute(delete(m.AccessRule).where(m.AccessRule.user_id == user.id))
        s.delete(user)
    for group in s.scalars(select(m.Group).where(m.Group.domain_id == domain.id)):
        s.execute(delete(m.Assignment).where(m.Assignment.actor_id == group.id))
        s.delete(group)
    for role in s.scalars(select(m.Role).where(m.Role.domain_id == domain.id)):
        s.delete(role)
    s.execute(delete(m.DomainConfig).where(m.DomainConfig.domain_id == domain.id))
    _forget_target(s, domain.id)
    s.flush()
    s.delete(domain)

