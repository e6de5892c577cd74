"""Identity resources: projects, users, roles, services, endpoints."""

from __future__ import annotations

from typing import Any

from tui.manage.resources.base import (
    Action,
    Column,
    Conn,
    Field,
    Form,
    Resource,
    Row,
    Values,
    cmd,
    delete_action,
    opt,
)

PROJECT_FORM = Form("Create a project", (
    Field("name", "Name", required=True),
    Field("description", "Description"),
))


def _create_project(conn: Conn, _row: Row | None, v: Values) -> Any:
    return conn.identity.create_project(name=v["name"], description=v.get("description") or "",
                                        domain_id="default")


USER_FORM = Form("Create a user", (
    Field("name", "Name", required=True),
    Field("password", "Password", "password", required=True),
    Field("email", "Email"),
    Field("project", "Default project", "select", source="projects"),
))


def _create_user(conn: Conn, _row: Row | None, v: Values) -> Any:
    kwargs: dict[str, Any] = {"name": v["name"], "password": v["password"],
                              "domain_id": "default"}
    if v.get("email"):
        kwargs["email"] = v["email"]
    if v.get("project"):
        kwargs["default_project_id"] = v["project"]
    return conn.identity.create_user(**kwargs)


def _enabled(row: Row) -> Any:
    return row.get("is_enabled", row.get("enabled"))


PROJECTS = Resource(
    name="projects", title="Projects", service="identity", aliases=("project",),
    columns=(
        Column("Name", "name"),
        Column("Domain", "domain_id"),
        Column("Enabled", _enabled),
        Column("Description", "description"),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.identity.projects(),
    actions=(
        Action("c", "create", "create a project", _create_project,
               lambda _r, v: cmd("project", "create",
                                 *opt("--description", v.get("description")), v["name"]),
               form=PROJECT_FORM, needs_row=False, confirm=False),
        delete_action("project", lambda conn, i: conn.identity.delete_project(i)),
    ),
    status_key=None,
)

USERS = Resource(
    name="users", title="Users", service="identity", aliases=("user",),
    columns=(
        Column("Name", "name"),
        Column("Domain", "domain_id"),
        Column("Enabled", _enabled),
        Column("Email", "email"),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.identity.users(),
    actions=(
        Action("c", "create", "create a user", _create_user,
               lambda _r, v: cmd("user", "create", "--password", "****",
                                 *opt("--email", v.get("email")),
                                 *opt("--project", v.label("project")
                                      if v.get("project") else None), v["name"]),
               form=USER_FORM, needs_row=False, confirm=False),
        delete_action("user", lambda conn, i: conn.identity.delete_user(i)),
    ),
    status_key=None,
)

ROLES = Resource(
    name="roles", title="Roles", service="identity", aliases=("role",),
    columns=(Column("Name", "name"), Column("Domain", "domain_id"), Column("ID", "id")),
    fetch=lambda conn: conn.identity.roles(),
    actions=(delete_action("role", lambda conn, i: conn.identity.delete_role(i)),),
    status_key=None,
)

SERVICES = Resource(
    name="services", title="Services (catalog)", service="identity", aliases=("service",),
    columns=(
        Column("Name", "name"),
        Column("Type", "type"),
        Column("Enabled", _enabled),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.identity.services(),
    status_key=None,
)

ENDPOINTS = Resource(
    name="endpoints", title="Endpoints", service="identity", aliases=("endpoint",),
    columns=(
        Column("Service", "service_id"),
        Column("Interface", "interface"),
        Column("Region", "region_id"),
        Column("URL", "url"),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.identity.endpoints(),
    name_key="id",
    status_key=None,
)

RESOURCES = (PROJECTS, USERS, ROLES, SERVICES, ENDPOINTS)
