"""Who is calling, and on what scope: built once per request by the auth middleware."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Context:
    """The caller of one request, as the token says.

    Exactly one of ``project_id``, ``domain_id`` and ``system_scope`` is set for a
    scoped token; none of them for an unscoped one; ``user_id`` is None for anonymous
    callers.
    """

    request_id: str
    user_id: str | None = None
    user_domain_id: str | None = None
    project_id: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None
    system_scope: str | None = None
    roles: frozenset[str] = frozenset()
    token: str | None = None
    token_data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        """Admin on any scope is cloud admin, as in Keystone's default policy."""
        return "admin" in self.roles

    def has_role(self, name: str) -> bool:
        return name in self.roles
