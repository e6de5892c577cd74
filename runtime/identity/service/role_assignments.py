"""GET /v3/role_assignments: grants as stored, or as they take effect.

Effective mode follows Keystone: a group grant becomes one assignment per member, an
inherited grant (OS-INHERIT) becomes one assignment per project below its target, every
role a granted role implies is added (transitively), and domain-specific roles, which
only ever imply others, are dropped. Each derived assignment remembers where it came
from (``Ref.via_*``) so the API can link back to the real grant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from runtime.identity import models as m
from runtime.identity.service import assignments as asg
from runtime.identity.service.projects import ancestors, get_project, subtree

_USER_TYPES = (asg.USER_PROJECT, asg.USER_DOMAIN, asg.USER_SYSTEM)
_PROJECT_TYPES = (asg.USER_PROJECT, asg.GROUP_PROJECT)
_DOMAIN_TYPES = (asg.USER_DOMAIN, asg.GROUP_DOMAIN)
_SYSTEM_TYPES = (asg.USER_SYSTEM, asg.GROUP_SYSTEM)


@dataclass(frozen=True)
class Ref:
    """One role assignment; exactly one actor and one scope are set."""

    role_id: str
    user_id: str | None = None
    group_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    inherited: bool = False  # an OS-INHERIT grant shown as stored (not expanded)
    via_group: str | None = None  # expanded from this group's grant
    via_project: str | None = None  # inherited from this project's OS-INHERIT grant
    via_domain: str | None = None  # inherited from this domain's OS-INHERIT grant
    via_role: str | None = None  # implied by this (prior) role


@dataclass(frozen=True)
class Query:
    role_id: str | None = None
    user_id: str | None = None
    group_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    include_subtree: bool = False
    inherited: bool | None = None  # None: both; True: only OS-INHERIT; False: none of them
    effective: bool = False


def _ref(row: m.Assignment) -> Ref:
    user = row.type in _USER_TYPES
    ref = Ref(row.role_id, user_id=row.actor_id if user else None,
              group_id=None if user else row.actor_id)
    if row.type in _PROJECT_TYPES:
        return replace(ref, project_id=row.target_id, inherited=row.inherited)
    if row.type in _DOMAIN_TYPES:
        return replace(ref, domain_id=row.target_id, inherited=row.inherited)
    return replace(ref, system=True)


def _rows(s: Session, *conds: ColumnElement[bool]) -> list[Ref]:
    stmt = select(m.Assignment).where(*conds).order_by(
        m.Assignment.type, m.Assignment.target_id, m.Assignment.actor_id, m.Assignment.role_id
    )
    return [_ref(row) for row in s.scalars(stmt)]


def _inherited_cond(inherited: bool | None) -> list[ColumnElement[bool]]:
    return [] if inherited is None else [m.Assignment.inherited.is_(inherited)]


def _projects_of_interest(s: Session, q: Query) -> list[str]:
    assert q.project_id is not None
    ids = [q.project_id]
    if q.include_subtree:
        ids += [p.id for p in subtree(s, q.project_id)]
    return ids


# --- as stored ------------------------------------------------------------------------------


def _direct(s: Session, q: Query) -> list[Ref]:
    conds: list[ColumnElement[bool]] = list(_inherited_cond(q.inherited))
    if q.user_id is not None:
        conds.append(m.Assignment.actor_id == q.user_id)
        conds.append(m.Assignment.type.in_(_USER_TYPES))
    elif q.group_id is not None:
        conds.append(m.Assignment.actor_id == q.group_id)
        conds.append(m.Assignment.type.not_in(_USER_TYPES))
    if q.role_id is not None:
        conds.append(m.Assignment.role_id == q.role_id)
    if q.project_id is not None:
        conds.append(m.Assignment.type.in_(_PROJECT_TYPES))
        conds.append(m.Assignment.target_id.in_(_projects_of_interest(s, q)))
    elif q.domain_id is not None:
        conds.append(m.Assignment.type.in_(_DOMAIN_TYPES))
        conds.append(m.Assignment.target_id == q.domain_id)
    elif q.system:
        conds.append(m.Assignment.type.in_(_SYSTEM_TYPES))
    return _rows(s, *conds)


# --- as they take effect ----------------------------------------------------------------------


def _candidates(s: Session, q: Query, actors: list[str] | None) -> list[Ref]:
    """Stored grants that can contribute to the effective assignments asked for."""
    conds: list[ColumnElement[bool]] = []
    if actors is not None:
        conds.append(m.Assignment.actor_id.in_(actors))
    inherited = False if q.domain_id is not None else q.inherited
    plain = m.Assignment.inherited.is_(False)
    ihr = m.Assignment.inherited.is_(True)
    scopes: list[ColumnElement[bool]] = []
    if q.project_id is not None:
        project = get_project(s, q.project_id)
        targets = _projects_of_interest(s, q)
        if inherited is not True:
            scopes.append(and_(plain, m.Assignment.type.in_(_PROJECT_TYPES),
                               m.Assignment.target_id.in_(targets)))
        if inherited is not False:
            # Inheritance reaches a project from its domain and from its ancestors (and,
            # for a subtree, from projects inside the subtree itself).
            sources = [a.id for a in ancestors(s, project)]
            if q.include_subtree:
                sources += targets
            scopes.append(and_(ihr, m.Assignment.type.in_(_DOMAIN_TYPES),
                               m.Assignment.target_id == project.domain_id))
            if sources:
                scopes.append(and_(ihr, m.Assignment.type.in_(_PROJECT_TYPES),
                                   m.Assignment.target_id.in_(sources)))
    elif q.domain_id is not None:
        scopes.append(and_(plain, m.Assignment.type.in_(_DOMAIN_TYPES),
                           m.Assignment.target_id == q.domain_id))
    elif q.system:
        if inherited is not True:
            scopes.append(m.Assignment.type.in_(_SYSTEM_TYPES))
    else:
        if inherited is not True:
            scopes.append(plain)
        if inherited is not False:
            scopes.append(and_(ihr, m.Assignment.type.not_in(_SYSTEM_TYPES)))
    return _rows(s, *conds, or_(*scopes) if scopes else false())


def _members(s: Session, group_id: str) -> list[str]:
    return list(
        s.scalars(
            select(m.Membership.user_id)
            .where(m.Membership.group_id == group_id)
            .order_by(m.Membership.user_id)
        )
    )


def _inherit_targets(s: Session, q: Query, ref: Ref) -> list[str]:
    """The projects an OS-INHERIT grant lands on, within what the query asks about."""
    if q.project_id is not None:
        targets = _projects_of_interest(s, q)
        if q.include_subtree and ref.project_id is not None and ref.project_id in targets:
            # Granted inside the subtree: only the part below the grant inherits it.
            return [p.id for p in subtree(s, ref.project_id)]
        return targets
    if ref.domain_id is not None:
        return list(
            s.scalars(
                select(m.Project.id)
                .where(m.Project.domain_id == ref.domain_id, m.Project.is_domain.is_(False))
                .order_by(m.Project.id)
            )
        )
    assert ref.project_id is not None
    return [p.id for p in subtree(s, ref.project_id)]


def _expand(s: Session, q: Query, ref: Ref) -> list[Ref]:
    refs = [ref]
    if ref.inherited:
        via = {"via_project": ref.project_id} if ref.project_id else {"via_domain": ref.domain_id}
        refs = [
            replace(ref, project_id=pid, domain_id=None, inherited=False, **via)
            for pid in _inherit_targets(s, q, ref)
        ]
    if ref.group_id is not None:
        users = [q.user_id] if q.user_id is not None else _members(s, ref.group_id)
        refs = [
            replace(r, user_id=uid, group_id=None, via_group=r.group_id)
            for r in refs
            for uid in users
        ]
    return refs


def add_implied(s: Session, refs: list[Ref]) -> list[Ref]:
    """``refs`` plus one copy per implied role, each naming the role that implied it."""
    rules: dict[str, list[str]] = {}
    for rule in s.scalars(select(m.ImpliedRole)):
        rules.setdefault(rule.prior_role_id, []).append(rule.implied_role_id)
    out = list(refs)
    for ref in refs:
        seen = {ref.role_id}
        frontier = [ref]
        while frontier:
            current = frontier.pop()
            for implied in rules.get(current.role_id, []):
                if implied in seen:  # implication rules may form cycles
                    continue
                seen.add(implied)
                derived = replace(current, role_id=implied, via_role=current.role_id)
                out.append(derived)
                frontier.append(derived)
    return out


def _effective(s: Session, q: Query) -> list[Ref]:
    # A group never holds an effective assignment, and a domain never inherits.
    if q.group_id is not None or (q.domain_id is not None and q.inherited):
        return []
    actors = None
    if q.user_id is not None:
        actors = [q.user_id, *asg.group_ids_of(s, q.user_id)]
    refs = [r for ref in _candidates(s, q, actors) for r in _expand(s, q, ref)]
    refs = add_implied(s, refs)
    global_roles = set(s.scalars(select(m.Role.id).where(m.Role.domain_id.is_(None))))
    refs = [r for r in refs if r.role_id in global_roles]
    if q.role_id is not None:
        refs = [r for r in refs if r.role_id == q.role_id]
    return refs


def list_role_assignments(s: Session, q: Query) -> list[Ref]:
    if q.include_subtree and q.project_id is not None:
        get_project(s, q.project_id)  # a tree needs a root: 404 without one, as Keystone
    return _effective(s, q) if q.effective else _direct(s, q)
