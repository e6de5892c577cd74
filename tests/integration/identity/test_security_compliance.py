"""[identity.security_compliance]: lockout, password history, minimum age, expiry,
strength, change upon first use and inactivity, as Keystone's [security_compliance].

Each rule set gets its own in-process app. Rules measured in days or minutes are tested by
moving the user's stored timestamps back instead of waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from tests.conftest import Api
from tests.integration.identity.users_support import (
    PASSWORD,
    create,
    login,
    member_user,
    openstack_as,
    token_for,
    uniq,
)
from tests.support import ADMIN_PASSWORD, Cloud, bootstrap, free_port, start

EXPIRED = "The password is expired and needs to be changed for user: {}."
AUTH_FAILED = "The request you have made requires authentication."


@dataclass
class App:
    api: Api
    db: Any  # runtime.common.db.Database

    def shift(self, user_id: str, **values: datetime) -> None:
        """Move a user's stored timestamps (time travel instead of sleeping)."""
        from runtime.identity import models as m

        with self.db.session() as s:
            s.execute(update(m.User).where(m.User.id == user_id).values(**values))


@contextmanager
def app_with(state: Path, **rules: Any) -> Iterator[App]:
    from runtime.common.app import create_app
    from runtime.common.config import load_config
    from runtime.common.db import Database
    from runtime.identity.service import Identity
    from runtime.identity.service.bootstrap import bootstrap

    config = load_config(state / "none.toml", state_dir=str(state), enabled_services=["identity"],
                         identity={"bcrypt_rounds": 10, "security_compliance": rules})
    db = Database(config.database_url)
    db.create_all()
    bootstrap(Identity(db, config), password=ADMIN_PASSWORD)
    with TestClient(create_app(config, db), base_url="http://127.0.0.1:5000") as client:
        yield App(Api(client), db)
    db.dispose()


@pytest.fixture(scope="module")
def tempest_like(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The rules the conformance run uses (lockout after 2, history of 2)."""
    with app_with(tmp_path_factory.mktemp("sc-tempest"), lockout_failure_attempts=2,
                  lockout_duration=300, unique_last_password_count=2,
                  minimum_password_age=0) as app:
        yield app


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with app_with(tmp_path_factory.mktemp("sc-strict"), password_expires_days=90,
                  minimum_password_age=1, unique_last_password_count=3,
                  password_regex=r"^(?=.*\d).{10,}$",
                  password_regex_description="at least 10 characters, one of them a digit",
                  change_password_upon_first_use=True,
                  disable_user_account_days_inactive=30) as app:
        yield app


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with app_with(tmp_path_factory.mktemp("sc-defaults")) as app:
        yield app


def change(api: Api, user_id: str, original: str, new: str) -> Any:
    body = {"user": {"original_password": original, "password": new}}
    return api.client.post(f"/identity/v3/users/{user_id}/password", json=body)


def message(r: Any) -> str:
    return str(r.json()["error"]["message"])


def when(raw: str | None) -> datetime:
    assert raw is not None
    return datetime.fromisoformat(raw.rstrip("Z")).replace(tzinfo=UTC)


# --- lockout ---------------------------------------------------------------------------


def test_lockout_after_failures_until_the_duration_passes(tempest_like: App) -> None:
    api = tempest_like.api
    user = create(api, "user", password=PASSWORD)
    assert login(api, user["id"], PASSWORD).status_code == 201
    for _ in range(2):
        r = login(api, user["id"], "wrong-password")
        assert r.status_code == 401
    # Locked: the right password is refused, and the answer tells an attacker nothing new.
    locked = login(api, user["id"], PASSWORD)
    assert locked.status_code == 401 and message(locked) == AUTH_FAILED
    # The lock guards the password-change route too.
    assert change(api, user["id"], PASSWORD, "another-pass").status_code == 401

    tempest_like.shift(user["id"], failed_auth_at=datetime.now(UTC) - timedelta(seconds=301))
    assert login(api, user["id"], PASSWORD).status_code == 201
    # Success cleared the count: one more mistake does not lock again.
    assert login(api, user["id"], "wrong-password").status_code == 401
    assert login(api, user["id"], PASSWORD).status_code == 201


def test_reenabling_unlocks_and_the_option_exempts(tempest_like: App) -> None:
    api = tempest_like.api
    user = create(api, "user", password=PASSWORD)
    for _ in range(3):
        login(api, user["id"], "wrong-password")
    assert login(api, user["id"], PASSWORD).status_code == 401
    r = api.request("PATCH", f"/users/{user['id']}", json={"user": {"enabled": True}})
    assert r.status_code == 200, r.text
    assert login(api, user["id"], PASSWORD).status_code == 201

    service = create(api, "user", password=PASSWORD,
                     options={"ignore_lockout_failure_attempts": True})
    for _ in range(4):
        assert login(api, service["id"], "wrong-password").status_code == 401
    assert login(api, service["id"], PASSWORD).status_code == 201


# --- history and the token method ------------------------------------------------------


def test_self_service_change_refuses_the_last_passwords(tempest_like: App) -> None:
    api = tempest_like.api
    user = create(api, "user", password="pass-one")
    assert change(api, user["id"], "pass-one", "pass-two").status_code == 204
    for reused in ("pass-two", "pass-one"):  # the current one and the one before
        r = change(api, user["id"], "pass-two", reused)
        assert r.status_code == 400
        assert message(r) == (
            "The new password cannot be identical to a previous password. The total number "
            "which includes the new password must be unique is 2.")
    assert change(api, user["id"], "pass-two", "pass-three").status_code == 204
    # pass-one is now three passwords back: allowed again.
    assert change(api, user["id"], "pass-three", "pass-one").status_code == 204
    assert login(api, user["id"], "pass-one").status_code == 201


def test_admin_reset_is_not_bound_by_history(tempest_like: App) -> None:
    api = tempest_like.api
    user = create(api, "user", password=PASSWORD)
    path = f"/users/{user['id']}"
    for _ in range(2):
        r = api.request("PATCH", path, json={"user": {"password": "reset-pass"}})
        assert r.status_code == 200, r.text
    assert login(api, user["id"], "reset-pass").status_code == 201
    # The admin's resets still count as history for the user's own changes.
    assert change(api, user["id"], "reset-pass", "reset-pass").status_code == 400


def test_token_of_a_changed_password_is_404_on_validate_and_rescope(tempest_like: App) -> None:
    api = tempest_like.api
    user, project_id, old_token = member_user(api)
    assert change(api, user["id"], PASSWORD, "changed-pass").status_code == 204
    check = api.request("GET", "/auth/tokens", headers={"X-Subject-Token": old_token})
    assert check.status_code == 404
    rescope = api.client.post("/identity/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["token"], "token": {"id": old_token}},
        "scope": {"project": {"id": project_id}}}})
    assert rescope.status_code == 404, rescope.text
    assert api.request("GET", "/auth/projects", token=old_token).status_code == 401
    assert login(api, user["id"], PASSWORD).status_code == 401
    assert token_for(api, user["id"], "changed-pass", project_id)


# --- strength, first use, minimum age, expiry, inactivity -------------------------------


def test_password_regex_is_enforced_with_its_description(strict: App) -> None:
    api = strict.api
    weak = {"user": {"name": uniq("weak"), "password": "short1"}}
    r = api.request("POST", "/users", json=weak)
    assert r.status_code == 400
    assert message(r) == ("The password does not match the requirements: at least 10 "
                          "characters, one of them a digit.")
    user = create(api, "user", password="strong-pass-1")
    r = api.request("PATCH", f"/users/{user['id']}", json={"user": {"password": "no-digits-here"}})
    assert r.status_code == 400
    r = change(api, user["id"], "strong-pass-1", "tiny2")
    assert r.status_code == 400 and "one of them a digit" in message(r)


def test_new_user_must_change_password_before_use(strict: App) -> None:
    api = strict.api
    user = create(api, "user", password="initial-pass-1")
    assert when(user["password_expires_at"]) <= datetime.now(UTC)
    r = login(api, user["id"], "initial-pass-1")
    assert r.status_code == 401 and message(r) == EXPIRED.format(user["id"])
    # The expired password is still good for changing itself.
    assert change(api, user["id"], "initial-pass-1", "chosen-pass-2").status_code == 204
    r = login(api, user["id"], "chosen-pass-2")
    assert r.status_code == 201, r.text
    expires = when(r.json()["token"]["user"]["password_expires_at"])
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    shown = api.request("GET", f"/users/{user['id']}").json()["user"]
    assert when(shown["password_expires_at"]) == expires

    # An administrator's reset must be changed again; the exemption option avoids that.
    path = f"/users/{user['id']}"
    api.request("PATCH", path, json={"user": {"password": "admin-set-3"}})
    assert login(api, user["id"], "admin-set-3").status_code == 401
    service = create(api, "user", password="service-pass-4",
                     options={"ignore_change_password_upon_first_use": True})
    assert login(api, service["id"], "service-pass-4").status_code == 201


def test_minimum_age_binds_own_changes_not_admin_resets(strict: App) -> None:
    api = strict.api
    user = create(api, "user", password="initial-pass-1")
    assert change(api, user["id"], "initial-pass-1", "chosen-pass-2").status_code == 204
    r = change(api, user["id"], "chosen-pass-2", "chosen-pass-3")
    assert r.status_code == 400
    assert message(r) == (
        "You cannot change your password at this time due to the minimum password age. "
        "Once you change your password, it must be used for 1 day(s) before it can be "
        "changed. Please try again in 0 day(s) or contact your administrator to reset your "
        "password.")
    # After an administrator's reset the user may change at once.
    api.request("PATCH", f"/users/{user['id']}", json={"user": {"password": "admin-set-3"}})
    assert change(api, user["id"], "admin-set-3", "chosen-pass-4").status_code == 204
    # And after a day, an own password may be changed again.
    strict.shift(user["id"], password_created_at=datetime.now(UTC) - timedelta(days=1, seconds=1))
    assert change(api, user["id"], "chosen-pass-4", "chosen-pass-5").status_code == 204


def test_expired_password_is_refused_unless_exempt(strict: App) -> None:
    api = strict.api
    user = create(api, "user", password="initial-pass-1",
                  options={"ignore_change_password_upon_first_use": True})
    assert login(api, user["id"], "initial-pass-1").status_code == 201
    strict.shift(user["id"], password_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    r = login(api, user["id"], "initial-pass-1")
    assert r.status_code == 401 and message(r) == EXPIRED.format(user["id"])
    r = api.request("PATCH", f"/users/{user['id']}", json={"user": {"options": {
        "ignore_password_expiry": True}}})
    assert r.status_code == 200, r.text
    assert login(api, user["id"], "initial-pass-1").status_code == 201


def test_inactive_user_counts_as_disabled_until_reenabled(strict: App) -> None:
    api = strict.api
    user = create(api, "user", password="initial-pass-1",
                  options={"ignore_change_password_upon_first_use": True})
    assert login(api, user["id"], "initial-pass-1").status_code == 201
    strict.shift(user["id"], last_active_at=datetime.now(UTC) - timedelta(days=31))
    r = login(api, user["id"], "initial-pass-1")
    assert r.status_code == 401 and message(r) == AUTH_FAILED
    assert api.request("GET", f"/users/{user['id']}").json()["user"]["enabled"] is False
    api.request("PATCH", f"/users/{user['id']}", json={"user": {"enabled": True}})
    assert api.request("GET", f"/users/{user['id']}").json()["user"]["enabled"] is True
    assert login(api, user["id"], "initial-pass-1").status_code == 201


# --- everything off by default ---------------------------------------------------------


def test_rules_are_off_by_default(defaults: App) -> None:
    api = defaults.api
    user = create(api, "user", password=PASSWORD)
    assert user["password_expires_at"] is None
    for _ in range(6):
        assert login(api, user["id"], "wrong-password").status_code == 401
    assert login(api, user["id"], PASSWORD).status_code == 201
    assert change(api, user["id"], PASSWORD, "x").status_code == 204
    assert change(api, user["id"], "x", "x").status_code == 204


def test_settings_come_from_the_toml_table(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from runtime.common.config import load_config

    file = tmp_path / "haneul.toml"
    file.write_text("[identity.security_compliance]\nlockout_failure_attempts = 2\n"
                    "lockout_duration = 5\nunique_last_password_count = 2\n")
    sc = load_config(file).identity.security_compliance
    assert (sc.lockout_failure_attempts, sc.lockout_duration) == (2, 5)
    assert sc.unique_last_password_count == 2 and sc.password_expires_days is None
    file.write_text('[identity.security_compliance]\npassword_regex = "(unclosed"\n')
    with pytest.raises(ValidationError, match="password_regex"):
        load_config(file)


# --- through the real CLI --------------------------------------------------------------


@pytest.fixture(scope="module")
def compliant_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    extra = ('[identity.security_compliance]\nlockout_failure_attempts = 2\n'
             'lockout_duration = 600\nunique_last_password_count = 2\n')
    cloud = bootstrap(tmp_path_factory.mktemp("sc-cloud"), free_port(), extra)
    # Identity alone: these rules are identity's, and the other services need not start.
    cloud.config.write_text('enabled_services = ["identity"]\n' + cloud.config.read_text())
    try:
        yield start(cloud)
    finally:
        cloud.stop()


def test_cli_password_history_and_lockout(compliant_cloud: Cloud) -> None:
    cloud = compliant_cloud
    name, project = uniq("sc-user"), uniq("sc-project")
    cloud.openstack("project", "create", "--domain", "default", project)
    cloud.openstack("user", "create", "--domain", "default", "--password", "first-pass", name)
    openstack_as(cloud, "admin", ADMIN_PASSWORD, "admin", "role", "add", "--project", project,
                 "--user", name, "member")
    openstack_as(cloud, name, "first-pass", project, "user", "password", "set",
                 "--original-password", "first-pass", "--password", "second-pass")
    with pytest.raises(AssertionError, match="cannot be identical to a previous password"):
        openstack_as(cloud, name, "second-pass", project, "user", "password", "set",
                     "--original-password", "second-pass", "--password", "first-pass")

    for _ in range(2):
        with pytest.raises(AssertionError, match="401"):
            openstack_as(cloud, name, "wrong-pass", project, "token", "issue")
    with pytest.raises(AssertionError, match="401"):
        openstack_as(cloud, name, "second-pass", project, "token", "issue")
