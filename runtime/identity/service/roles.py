"""Roles (global and domain-specific) and the rules by which one role implies another."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.common.errors import BadRequest, Conflict, Forbidden, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.service.projects import get_domain
from runtime.identity.tokens import random_id

ROLE_FIELDS = ("name", "domain_id", "description", "options")

# Keystone's [assignment] prohibited_implied_role default: nobody may be handed admin
# by implication, only by an explicit grant.
PROHIBITED_IMPLIED_ROLES = frozenset({"admin"})


def get_role(s: Session, role_id: str) -> m.Role:
    role = s.get(m.Role, role_id)
    if role is None:
        raise NotFound(f"Could not find role: {role_id}.")
    return role


def _name(data: Mapping[str, Any]) -> str:
    name = sch.string(data, "name", required=True, min_len=1, max_len=255)
    assert name is not None
    return name


def _options(data: Mapping[str, Any]) -> dict[str, Any] | None:
    opts = sch.options(data, sch.ROLE_OPTIONS)
    if opts is not None:
        value = opts.get("immutable")
        if value is not None and not isinstance(value, bool):
            raise BadRequest(
                f"Invalid input for field 'options': {value!r} is not of type 'boolean'")
    return opts


def _check_unique(s: Session, name: str, domain_id: str | None,
                  exclude: str | None = None) -> None:
    # The table's unique constraint cannot catch two global roles: NULL != NULL in SQL.
    q = select(m.Role.id).where(m.Role.name == name)
    q = q.where(m.Role.domain_id.is_(None) if domain_id is None else m.Role.domain_id == domain_id)
    found = s.scalar(q)
    if found is not None and found != exclude:
        raise Conflict(
            "Conflict occurred attempting to store role - Duplicate entry found with name "
            f"{name}."
        )


def create_role(s: Session, data: dict[str, Any]) -> m.Role:
    name = _name(data)
    domain_id = sch.string(data, "domain_id", nullable=True) or None
    if domain_id is not None:
        get_domain(s, domain_id)
    description = sch.string(data, "description", max_len=65535, nullable=True)
    options = _options(data) or {}
    _check_unique(s, name, domain_id)
    role = m.Role(
        id=random_id(),
        name=name,
        domain_id=domain_id,
        description=description,
        extra=sch.extra(data, ROLE_FIELDS),
        options={k: v for k, v in options.items() if v is not None},
    )
    s.add(role)
    s.flush()
    return role


def _immutable(role: m.Role) -> bool:
    return bool((role.options or {}).get("immutable"))


def update_role(s: Session, role: m.Role, data: dict[str, Any]) -> m.Role:
    if not data:
        raise BadRequest("Invalid input for field 'role': {} does not have enough properties")
    if _immutable(role):
        # Keystone allows exactly one change to an immutable role: clearing the flag.
        opts = data.get("options")
        if set(data) != {"options"} or not isinstance(opts, dict) or set(opts) != {
            "immutable"
        } or opts["immutable"] not in (False, None):
            raise Forbidden(
                f"Unable to update immutable role resource: `{role.id}. Set resource option "
                '"immutable" to false first.'
            )
    if "domain_id" in data and (data["domain_id"] or None) != role.domain_id:
        raise BadRequest("Update of `domain_id` is not allowed.")
    if "name" in data:
        name = _name(data)
        if name != role.name:
            _check_unique(s, name, role.domain_id, exclude=role.id)
        role.name = name
    if "description" in data:
        role.description = sch.string(data, "description", max_len=65535, nullable=True)
    if (opts := _options(data)) is not None:
        merged = {**(role.options or {}), **opts}
        role.options = {k: v for k, v in merged.items() if v is not None}
    extra = sch.extra(data, ROLE_FIELDS)
    if extra:
        role.extra = {**role.extra, **extra}
    s.flush()
    return role


def delete_role(s: Session, role: m.Role) -> None:
    if _immutable(role):
        raise Forbidden(
            f"Unable to delete immutable role resource: `{role.id}. Set resource option "
            '"immutable" to false first.'
        )
    s.execute(delete(m.Assignment).where(m.Assignment.role_id == role.id))
    s.execute(
        delete(m.ImpliedRole).where(
            (m.ImpliedRole.prior_role_id == role.id) | (m.ImpliedRole.implied_role_id == role.id)
        )
    )
    s.delete(role)
    s.flush()


def list_roles(s: Session, domain_id: str | None) -> list[m.Role]:
    """Global roles, or those of one domain: Keystone never mixes the two in one list."""
    cond = m.Role.domain_id.is_(None) if domain_id is None else m.Role.domain_id == domain_id
    return list(s.scalars(select(m.Role).where(cond).order_by(m.Role.name)))


# --- implied roles ------------------------------------------------------------------------


def get_implied(s: Session, prior_id: str, implied_id: str) -> m.ImpliedRole:
    get_role(s, prior_id)
    get_role(s, implied_id)
    rule = s.get(m.ImpliedRole, (prior_id, implied_id))
    if rule is None:
        raise NotFound(f"{prior_id} does not imply {implied_id}.")
    return rule


def create_implied(s: Session, prior_id: str, implied_id: str) -> None:
    implied = get_role(s, implied_id)
    prior = get_role(s, prior_id)
    if implied.name in PROHIBITED_IMPLIED_ROLES:
        raise Forbidden(f"{implied_id} cannot be an implied roles.")
    if prior.domain_id is None and implied.domain_id is not None:
        # Global roles end up in tokens; a domain-specific role never may.
        raise Forbidden("Global role cannot imply a domain-specific role")
    if s.get(m.ImpliedRole, (prior_id, implied_id)) is not None:
        raise Conflict(
            "Conflict occurred attempting to store implied_role - Duplicate entry."
        )
    s.add(m.ImpliedRole(prior_role_id=prior_id, implied_role_id=implied_id))
    s.flush()


def delete_implied(s: Session, prior_id: str, implied_id: str) -> None:
    s.delete(get_implied(s, prior_id, implied_id))
    s.flush()


def implied_by(s: Session, prior_id: str) -> list[m.Role]:
    """The roles ``prior_id`` implies directly (not transitively), as Keystone lists them."""
    return list(
        s.scalars(
            select(m.Role)
            .join(m.ImpliedRole, m.ImpliedRole.implied_role_id == m.Role.id)
            .where(m.ImpliedRole.prior_role_id == prior_id)
            .order_by(m.Role.name)
        )
    )


def inference_rules(s: Session) -> list[tuple[m.Role, list[m.Role]]]:
    """Every prior role with the roles it directly implies."""
    roles = {r.id: r for r in s.scalars(select(m.Role))}
    rules: dict[str, list[m.Role]] = {}
    for rule in s.scalars(select(m.ImpliedRole)):
        rules.setdefault(rule.prior_role_id, []).append(roles[rule.implied_role_id])
    return [(roles[prior], implied) for prior, implied in rules.items()]
