"""Role grants and the roles a user effectively holds on a scope.

Effective roles = direct grants + grants to the user's groups + grants inherited from
ancestor projects and the domain (OS-INHERIT), then every role those imply
(transitively). Domain-specific roles only imply; they never appear in a token.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from runtime.common.errors import BadRequest, Forbidden, NotFound
from runtime.identity import models as m
from runtime.identity.service.core import get_or_404
from runtime.identity.service.projects import get_domain, get_project, subtree

USER_PROJECT, GROUP_PROJECT = "UserProject", "GroupProject"
USER_DOMAIN, GROUP_DOMAIN = "UserDomain", "GroupDomain"
USER_SYSTEM, GROUP_SYSTEM = "UserSystem", "GroupSystem"
SYSTEM_ALL = "system"  # target_id of system grants


def grant(s: Session, type_: str, actor_id: str, target_id: str, role_id: str,
          inherited: bool = False) -> bool:
    """Grant the role; False if it was granted already."""
    key = (type_, actor_id, target_id, role_id, inherited)
    if s.get(m.Assignment, key) is not None:
        return False
    s.add(m.Assignment(type=type_, actor_id=actor_id, target_id=target_id, role_id=role_id,
                       inherited=inherited))
    s.flush()
    return True


def revoke(s: Session, type_: str, actor_id: str, target_id: str, role_id: str,
           inherited: bool = False) -> bool:
    res = s.execute(
        delete(m.Assignment).where(
            m.Assignment.type == type_,
            m.Assignment.actor_id == actor_id,
            m.Assignment.target_id == target_id,
            m.Assignment.role_id == role_id,
            m.Assignment.inherited.is_(inherited),
        )
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def has_grant(s: Session, type_: str, actor_id: str, target_id: str, role_id: str,
              inherited: bool = False) -> bool:
    return s.get(m.Assignment, (type_, actor_id, target_id, role_id, inherited)) is not None


def granted_role_ids(s: Session, type_: str, actor_id: str, target_id: str,
                     inherited: bool = False) -> list[str]:
    return list(
        s.scalars(
            select(m.Assignment.role_id).where(
                m.Assignment.type == type_,
                m.Assignment.actor_id == actor_id,
                m.Assignment.target_id == target_id,
                m.Assignment.inherited.is_(inherited),
            )
        )
    )


def group_ids_of(s: Session, user_id: str) -> list[str]:
    return list(s.scalars(select(m.Membership.group_id).where(m.Membership.user_id == user_id)))


def implied_closure(s: Session, role_ids: set[str]) -> set[str]:
    """``role_ids`` plus every role they imply, transitively."""
    result = set(role_ids)
    frontier = set(role_ids)
    while frontier:
        implied = set(
            s.scalars(
                select(m.ImpliedRole.implied_role_id).where(
                    m.ImpliedRole.prior_role_id.in_(frontier)
                )
            )
        )
        frontier = implied - result
        result |= implied
    return result


def _project_chain(s: Session, project_id: str) -> tuple[list[str], str | None]:
    """Ancestor project ids (nearest first) and the domain id of ``project_id``."""
    chain: list[str] = []
    project = s.get(m.Project, project_id)
    if project is None:
        return chain, None
    current = project
    while current.parent_id and current.parent_id != current.domain_id:
        parent = s.get(m.Project, current.parent_id)
        if parent is None:
            break
        chain.append(parent.id)
        current = parent
    return chain, project.domain_id


def direct_role_ids(s: Session, user_id: str, *, project_id: str | None = None,
                    domain_id: str | None = None, system: str | None = None) -> set[str]:
    """Roles granted on the scope to the user or their groups, before implication."""
    actors = [user_id, *group_ids_of(s, user_id)]
    conds = []
    if project_id is not None:
        ancestors, domain = _project_chain(s, project_id)
        conds.append((m.Assignment.target_id == project_id) & m.Assignment.inherited.is_(False)
                     & m.Assignment.type.in_((USER_PROJECT, GROUP_PROJECT)))
        inherit_targets = [*ancestors] + ([domain] if domain else [])
        if inherit_targets:
            conds.append(m.Assignment.target_id.in_(inherit_targets)
                         & m.Assignment.inherited.is_(True))
    elif domain_id is not None:
        conds.append((m.Assignment.target_id == domain_id) & m.Assignment.inherited.is_(False)
                     & m.Assignment.type.in_((USER_DOMAIN, GROUP_DOMAIN)))
    elif system is not None:
        conds.append((m.Assignment.target_id == SYSTEM_ALL)
                     & m.Assignment.type.in_((USER_SYSTEM, GROUP_SYSTEM)))
    else:
        return set()
    return set(
        s.scalars(
            select(m.Assignment.role_id).where(m.Assignment.actor_id.in_(actors), or_(*conds))
        )
    )


def effective_roles(s: Session, user_id: str, *, project_id: str | None = None,
                    domain_id: str | None = None, system: str | None = None) -> list[m.Role]:
    """The global roles (with implied ones) the user holds on exactly one scope."""
    ids = implied_closure(
        s, direct_role_ids(s, user_id, project_id=project_id, domain_id=domain_id, system=system)
    )
    if not ids:
        return []
    roles = s.scalars(select(m.Role).where(m.Role.id.in_(ids), m.Role.domain_id.is_(None)))
    return sorted(roles, key=lambda r: r.name)


def projects_with_roles(s: Session, user_id: str) -> list[str]:
    """Ids of projects where the user holds at least one role (direct, group or inherited)."""
    actors = [user_id, *group_ids_of(s, user_id)]
    rows = s.execute(
        select(m.Assignment.target_id, m.Assignment.type, m.Assignment.inherited).where(
            m.Assignment.actor_id.in_(actors)
        )
    ).all()
    result: set[str] = set()
    for target_id, type_, inherited in rows:
        if type_ in (USER_PROJECT, GROUP_PROJECT):
            if inherited:
                result.update(p.id for p in subtree(s, target_id))
            else:
                result.add(target_id)
        elif type_ in (USER_DOMAIN, GROUP_DOMAIN) and inherited:
            result.update(
                s.scalars(
                    select(m.Project.id).where(
                        m.Project.domain_id == target_id, m.Project.is_domain.is_(False)
                    )
                )
            )
    return sorted(result)


def domains_with_roles(s: Session, user_id: str) -> list[str]:
    actors = [user_id, *group_ids_of(s, user_id)]
    return sorted(
        set(
            s.scalars(
                select(m.Assignment.target_id).where(
                    m.Assignment.actor_id.in_(actors),
                    m.Assignment.type.in_((USER_DOMAIN, GROUP_DOMAIN)),
                    m.Assignment.inherited.is_(False),
                )
            )
        )
    )


def has_system_roles(s: Session, user_id: str) -> bool:
    return bool(direct_role_ids(s, user_id, system="all"))


def forget_actor(s: Session, actor_id: str) -> None:
    s.execute(delete(m.Assignment).where(m.Assignment.actor_id == actor_id))


# --- grants as the API sees them: an actor, a target and a role, all checked ------------

Actor = Literal["user", "group"]
TargetKind = Literal["project", "domain", "system"]

_TYPES: dict[tuple[str, str], str] = {
    ("user", "project"): USER_PROJECT, ("group", "project"): GROUP_PROJECT,
    ("user", "domain"): USER_DOMAIN, ("group", "domain"): GROUP_DOMAIN,
    ("user", "system"): USER_SYSTEM, ("group", "system"): GROUP_SYSTEM,
}


def assignment_type(actor: Actor, target: TargetKind) -> str:
    return _TYPES[(actor, target)]


def check_actor(s: Session, actor: Actor, actor_id: str) -> None:
    get_or_404(s, m.User if actor == "user" else m.Group, actor_id, actor)


def _check_target(s: Session, target: TargetKind, target_id: str) -> m.Project | None:
    if target == "project":
        return get_project(s, target_id)
    if target == "domain":
        return get_domain(s, target_id)
    return None


def _role(s: Session, role_id: str) -> m.Role:
    return get_or_404(s, m.Role, role_id, "role")


def _not_found(role_id: str, actor_id: str, target_id: str) -> NotFound:
    return NotFound(
        f"Could not find role assignment with role: {role_id}, user or group: {actor_id}, "
        f"project, domain, or system: {target_id}."
    )


def create_grant(s: Session, actor: Actor, actor_id: str, target: TargetKind, target_id: str,
                 role_id: str, inherited: bool = False) -> None:
    """Grant after Keystone's checks: role, actor and target exist (404), and a
    domain-specific role is only granted inside its own domain (403) and never on the
    system (400)."""
    role = _role(s, role_id)
    check_actor(s, actor, actor_id)
    scope = _check_target(s, target, target_id)
    if role.domain_id is not None:
        if target == "system":
            raise BadRequest(
                f"Role {role_id} is a domain-specific role. Unable to use a domain-specific "
                "role in a system assignment."
            )
        if scope is not None and target == "project" and scope.domain_id != role.domain_id:
            raise Forbidden(
                f"Project {target_id} must be in the same domain as the role {role_id} "
                "being assigned."
            )
    grant(s, assignment_type(actor, target), actor_id, target_id, role_id, inherited)


def check_grant(s: Session, actor: Actor, actor_id: str, target: TargetKind, target_id: str,
                role_id: str, inherited: bool = False) -> None:
    _role(s, role_id)
    check_actor(s, actor, actor_id)
    _check_target(s, target, target_id)
    if not has_grant(s, assignment_type(actor, target), actor_id, target_id, role_id, inherited):
        raise _not_found(role_id, actor_id, target_id)


def delete_grant(s: Session, actor: Actor, actor_id: str, target: TargetKind, target_id: str,
                 role_id: str, inherited: bool = False) -> None:
    """Revoke; the actor need not exist any more (Keystone cleans up after deleted
    users and groups this way), but the role, the target and the grant must."""
    _role(s, role_id)
    _check_target(s, target, target_id)
    if not revoke(s, assignment_type(actor, target), actor_id, target_id, role_id, inherited):
        raise _not_found(role_id, actor_id, target_id)


def list_grants(s: Session, actor: Actor, actor_id: str, target: TargetKind, target_id: str,
                inherited: bool = False) -> list[m.Role]:
    check_actor(s, actor, actor_id)
    _check_target(s, target, target_id)
    ids = granted_role_ids(s, assignment_type(actor, target), actor_id, target_id, inherited)
    if not ids:
        return []
    return list(s.scalars(select(m.Role).where(m.Role.id.in_(ids)).order_by(m.Role.name)))
