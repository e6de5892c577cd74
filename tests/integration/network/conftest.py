"""Fixtures for the network service: identity and network in-process, an external
network made by the admin, and users in projects of their own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api
from tests.support import ADMIN_PASSWORD


class NetApi(Api):
    """Requests under /networking/v2.0 with a token (admin's unless another is given)."""

    def net(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        headers.setdefault("X-Auth-Token", token or self.token())
        return self.client.request(method, "/networking/v2.0" + path, headers=headers, **kw)

    def create(self, member: str, token: str | None = None, /,
               **body: Any) -> dict[str, Any]:
        collection = {"security_group": "security-groups",
                      "security_group_rule": "security-group-rules"}.get(member, member + "s")
        r = self.net("POST", f"/{collection}", token, json={member: body})
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()[member]
        return created

    def error(self, response: Any) -> tuple[int, str]:
        """The status and Neutron error type of a failed request."""
        return response.status_code, response.json()["NeutronError"]["type"]


@dataclass(frozen=True)
class User:
    name: str
    project_id: str
    token: str


def make_user(api: NetApi, name: str, role: str = "member") -> User:
    r = api.request("POST", "/projects", json={"project": {"name": f"{name}-project"}})
    assert r.status_code == 201, r.text
    project_id = r.json()["project"]["id"]
    r = api.request("POST", "/users", json={"user": {"name": name, "password": "pw-" + name,
                                                     "default_project_id": project_id}})
    assert r.status_code == 201, r.text
    user_id = r.json()["user"]["id"]
    roles = {x["name"]: x["id"] for x in api.request("GET", "/roles").json()["roles"]}
    r = api.request("PUT", f"/projects/{project_id}/users/{user_id}/roles/{roles[role]}")
    assert r.status_code == 204, r.text
    return User(name, project_id, api.token(name, "pw-" + name, project=f"{name}-project"))


def in_process(state: Path, **network: Any) -> Iterator[NetApi]:
    from runtime.common.app import create_app
    from runtime.common.config import load_config
    from runtime.common.db import Database
    from runtime.identity.service import Identity
    from runtime.identity.service.bootstrap import bootstrap

    config = load_config(state / "none.toml", state_dir=str(state),
                         identity={"bcrypt_rounds": 10},
                         enabled_services=["identity", "network"], network=network)
    db = Database(config.database_url)
    db.create_all()
    bootstrap(Identity(db, config), password=ADMIN_PASSWORD, services=["identity", "network"])
    with TestClient(create_app(config, db), base_url="http://127.0.0.1:5000") as client:
        yield NetApi(client)
    db.dispose()


@pytest.fixture(scope="module")
def net_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetApi]:
    yield from in_process(tmp_path_factory.mktemp("network-api"))


@pytest.fixture(scope="module")
def alice(net_api: NetApi) -> User:
    return make_user(net_api, "alice")


@pytest.fixture(scope="module")
def bob(net_api: NetApi) -> User:
    return make_user(net_api, "bob")


@pytest.fixture(scope="module")
def public(net_api: NetApi) -> dict[str, Any]:
    """An external network with a /24 subnet, as an operator sets one up."""
    net = net_api.create("network", name="public", **{"router:external": True})
    net_api.create("subnet", network_id=net["id"], ip_version=4, cidr="172.24.4.0/24",
                   name="public-v4")
    return net
