"""Fixtures for the image service: the app in-process with identity and image, and
users in projects of their own to share images between."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api
from tests.support import ADMIN_PASSWORD


class ImageApi(Api):
    """Requests under /image/v2 with a token (admin's unless another is given)."""

    def __init__(self, client: TestClient, images: Any) -> None:
        super().__init__(client)
        self.images = images  # the running app's runtime.image.service.Images

    def image(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        headers.setdefault("X-Auth-Token", token or self.token())
        return self.client.request(method, "/image/v2" + path, headers=headers, **kw)

    def identity(self, method: str, path: str, **kw: Any) -> Any:
        return self.request(method, path, **kw)

    def create(self, token: str | None = None, **body: Any) -> dict[str, Any]:
        body.setdefault("disk_format", "raw")
        body.setdefault("container_format", "bare")
        r = self.image("POST", "/images", token, json=body)
        assert r.status_code == 201, r.text
        image: dict[str, Any] = r.json()
        return image

    def upload(self, image_id: str, data: bytes, token: str | None = None) -> Any:
        return self.image("PUT", f"/images/{image_id}/file", token, content=data,
                          headers={"Content-Type": "application/octet-stream"})

    def show(self, image_id: str, token: str | None = None) -> dict[str, Any]:
        r = self.image("GET", f"/images/{image_id}", token)
        assert r.status_code == 200, r.text
        image: dict[str, Any] = r.json()
        return image


@dataclass(frozen=True)
class User:
    name: str
    project: str
    project_id: str
    token: str


def make_user(api: ImageApi, name: str, role: str = "member") -> User:
    """A user holding ``role`` on a project of its own."""
    r = api.identity("POST", "/projects", json={"project": {"name": f"{name}-project"}})
    assert r.status_code == 201, r.text
    project_id = r.json()["project"]["id"]
    r = api.identity("POST", "/users", json={"user": {"name": name, "password": "pw-" + name,
                                                      "default_project_id": project_id}})
    assert r.status_code == 201, r.text
    user_id = r.json()["user"]["id"]
    roles = {x["name"]: x["id"] for x in api.identity("GET", "/roles").json()["roles"]}
    r = api.identity("PUT", f"/projects/{project_id}/users/{user_id}/roles/{roles[role]}")
    assert r.status_code == 204, r.text
    return User(name, f"{name}-project", project_id,
                api.token(name, "pw-" + name, project=f"{name}-project"))


@contextmanager
def in_process(state: Path, **image: Any) -> Iterator[ImageApi]:
    """Identity and image served in-process over ``state``, with ``image`` settings."""
    from runtime.common.app import create_app
    from runtime.common.config import load_config
    from runtime.common.db import Database
    from runtime.identity.service import Identity
    from runtime.identity.service.bootstrap import bootstrap

    config = load_config(state / "none.toml", state_dir=str(state),
                         identity={"bcrypt_rounds": 10}, image=image)
    db = Database(config.database_url)
    db.create_all()
    bootstrap(Identity(db, config), password=ADMIN_PASSWORD, services=["identity", "image"])
    app = create_app(config, db)
    with TestClient(app, base_url="http://127.0.0.1:5000") as client:
        yield ImageApi(client, app.state.runtime.state["image"])
    db.dispose()


@pytest.fixture(scope="module")
def image_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImageApi]:
    """Two filesystem stores, so imports and copies between stores can be seen."""
    stores = {"file": {}, "fast": {"description": "Second"}}
    with in_process(tmp_path_factory.mktemp("image-api"), stores=stores) as api:
        yield api


@pytest.fixture(scope="module")
def alice(image_api: ImageApi) -> User:
    return make_user(image_api, "alice")


@pytest.fixture(scope="module")
def bob(image_api: ImageApi) -> User:
    return make_user(image_api, "bob")
