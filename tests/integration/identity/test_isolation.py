"""A member of one project cannot reach another project's resources or admin calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack.exceptions import HttpException

from tests.support import Cloud


def status_of(call: Callable[[], Any]) -> int:
    try:
        call()
    except HttpException as exc:
        return int(exc.status_code or 0)
    except ks_exc.HttpError as exc:  # raised by authentication itself
        return int(exc.http_status or 0)
    return 200


@pytest.fixture(scope="module")
def two_members(cloud: Cloud) -> dict[str, dict[str, str]]:
    people: dict[str, dict[str, str]] = {}
    for name in ("iso-alice", "iso-bob"):
        project = cloud.openstack("project", "create", f"{name}-project")
        user = cloud.openstack("user", "create", "--password", f"{name}-pw",
                               "--project", project["id"], name)
        cloud.openstack("role", "add", "--user", user["id"], "--project", project["id"],
                        "member")
        people[name] = {"user": user["id"], "project": project["id"], "password": f"{name}-pw"}
    return people


def test_member_is_refused_on_other_projects_and_admin_calls(
    cloud: Cloud, two_members: dict[str, dict[str, str]]
) -> None:
    alice, bob = two_members["iso-alice"], two_members["iso-bob"]
    conn = cloud.sdk(username="iso-alice", password=alice["password"],
                     project_id=alice["project"])
    identity = conn.identity
    # Her own project and user are readable.
    assert identity.get_project(alice["project"]).id == alice["project"]
    assert identity.get_user(alice["user"]).name == "iso-alice"
    refused = {
        "other project": lambda: identity.get_project(bob["project"]),
        "other user": lambda: identity.get_user(bob["user"]),
        "list users": lambda: list(identity.users()),
        "create project": lambda: identity.create_project(name="iso-sneaky"),
        "role assignments": lambda: list(identity.role_assignments()),
        "other's app credential": lambda: identity.create_application_credential(
            bob["user"], "iso-steal"),
    }
    statuses = {what: status_of(call) for what, call in refused.items()}
    assert all(code in (403, 404) for code in statuses.values()), statuses


def test_member_cannot_scope_to_a_project_without_a_role(
    cloud: Cloud, two_members: dict[str, dict[str, str]]
) -> None:
    alice, bob = two_members["iso-alice"], two_members["iso-bob"]
    conn = cloud.sdk(username="iso-alice", password=alice["password"], project_id=bob["project"])
    assert status_of(conn.session.get_token) == 401
