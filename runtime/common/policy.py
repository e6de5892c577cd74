"""Role-based policy: admin implies member implies reader, on project/domain/system scope.

A rule is a predicate over the caller and the target of an action. Services declare
their rules in one table (name -> rule) so that the whole policy of a service can be
read in one place; :func:`enforce` turns a refusal into 401 (no caller) or 403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.common.context import Context
from runtime.common.errors import Forbidden, Unauthorized

Target = Mapping[str, Any]
Rule = Callable[[Context, Target], bool]

# Role names every cloud has; implied roles (admin -> member -> reader) are expanded
# into the token's role list by the identity service, so checks here look for one name.
ADMIN, MEMBER, READER = "admin", "member", "reader"


def role(name: str) -> Rule:
    return lambda ctx, _t: ctx.has_role(name)


def any_of(*rules: Rule) -> Rule:
    return lambda ctx, t: any(r(ctx, t) for r in rules)


def allow(_ctx: Context, _t: Target) -> bool:
    return True


def authenticated(ctx: Context, _t: Target) -> bool:
    return ctx.authenticated


admin: Rule = role(ADMIN)


def owner(key: str = "user_id") -> Rule:
    """The caller is the user named by ``target[key]``."""
    return lambda ctx, t: ctx.user_id is not None and t.get(key) == ctx.user_id


def project_member(min_role: str = READER, key: str = "project_id") -> Rule:
    """The caller holds ``min_role`` on the project named by ``target[key]``."""

    def rule(ctx: Context, t: Target) -> bool:
        return ctx.project_id is not None and t.get(key) == ctx.project_id and ctx.has_role(
            min_role
        )

    return rule


def system_reader(ctx: Context, _t: Target) -> bool:
    return ctx.system_scope is not None and ctx.has_role(READER)


def enforce(
    rules: Mapping[str, Rule], action: str, ctx: Context, target: Target | None = None
) -> None:
    """Raise unless ``ctx`` may perform ``action`` on ``target``."""
    if not ctx.authenticated:
        raise Unauthorized("The request you have made requires authentication.")
    rule = rules.get(action)
    if rule is None:
        # An action without a rule is a programming error; refuse rather than allow.
        raise Forbidden(f"You are not authorized to perform the requested action: {action}.")
    if not rule(ctx, target or {}):
        raise Forbidden(f"You are not authorized to perform the requested action: {action}.")
