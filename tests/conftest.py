"""Fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.support import ADMIN_PASSWORD, Cloud, running_cloud


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """One real `haneul serve` on loopback for the whole session, driven by real clients."""
    with running_cloud(tmp_path_factory.mktemp("cloud")) as c:
        yield c


class Api:
    """The app in-process (no sockets): quick for API-shape and error-path tests."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._tokens: dict[tuple[str, str], str] = {}

    def token(self, username: str = "admin", password: str = ADMIN_PASSWORD,
              project: str | None = "admin", domain: str = "Default") -> str:
        key = (username, project or "")
        if key not in self._tokens:
            auth: dict = {"identity": {"methods": ["password"], "password": {"user": {
                "name": username, "domain": {"name": domain}, "password": password}}}}
            if project:
                auth["scope"] = {"project": {"name": project, "domain": {"name": domain}}}
            r = self.client.post("/identity/v3/auth/tokens", json={"auth": auth})
            assert r.status_code == 201, r.text
            self._tokens[key] = r.headers["x-subject-token"]
        return self._tokens[key]

    def request(self, method: str, path: str, token: str | None = None, **kw):  # type: ignore[no-untyped-def]
        headers = kw.pop("headers", {})
        headers.setdefault("X-Auth-Token", token or self.token())
        return self.client.request(method, "/identity/v3" + path, headers=headers, **kw)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from runtime.common.app import create_app
    from runtime.common.config import load_config
    from runtime.common.db import Database
    from runtime.identity.service import Identity
    from runtime.identity.service.bootstrap import bootstrap

    state: Path = tmp_path_factory.mktemp("api")
    config = load_config(state / "none.toml", state_dir=str(state),
                         identity={"bcrypt_rounds": 10})
    db = Database(config.database_url)
    db.create_all()
    bootstrap(Identity(db, config), password=ADMIN_PASSWORD)
    with TestClient(create_app(config, db), base_url="http://127.0.0.1:5000") as client:
        yield Api(client)
    db.dispose()
