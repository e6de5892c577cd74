"""Role grants and the roles a user effectively holds on a scope.

Effective roles = direct grants + grants to the user's groups + grants inherited from
ancestor projects and the domain (OS-INHERIT), then every role those imply
(transitively). Domain-specific roles only imply; they never appear in a token.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from runtime.identity import models as m
from runtime.identity.service.projects import subtree

USER_PROJECT, GROUP_PROJECT = "UserProject", "GroupProject"
USER_DOMAIN, GROUP_DOMAIN = "UserDomain", "GroupDomain"
USER_SYSTEM, GROUP_SYSTEM = "UserSystem", "GroupSystem"
SYSTEM_ALL = "system"  # target_id of system grants


def grant(s: Session, type_: str, actor_id: str, target_id: str, role_id: str,
          inherited: bool = False) -> None:
    key = (type_, actor_id, target_id, role_id, inherited)
    if s.get(m.Assignment, key) is None:
        s.add(m.Assignment(type=type_, actor_id=actor_id, target_id=target_id, role_id=role_id,
                           inherited=inherited))
        s.flush()


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
