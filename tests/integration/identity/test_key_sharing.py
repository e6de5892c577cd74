"""Tokens are self-contained: any API node sharing the keys and database accepts them,
they survive restarts and key rotation, and revocation and expiry apply everywhere."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import ADMIN_PASSWORD, BIN, Cloud, bootstrap, free_port, start, wait_for


def issue(base: str) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    req = urllib.request.Request(base + "/identity/v3/auth/tokens", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return str(r.headers["X-Subject-Token"])


def status(base: str, method: str, token: str, subject: str) -> int:
    req = urllib.request.Request(base + "/identity/v3/auth/tokens", method=method,
                                 headers={"X-Auth-Token": token, "X-Subject-Token": subject})
    try:
        with urllib.request.urlopen(req) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


@contextmanager
def nodes(tmp_path: Path, token_expiration: int) -> Iterator[tuple[Cloud, Cloud]]:
    first = start(bootstrap(tmp_path, free_port(), f"token_expiration = {token_expiration}\n"))
    second = Cloud(state=tmp_path / "node2", port=free_port(), config=first.config,
                   clouds_yaml=first.clouds_yaml)
    second.state.mkdir()
    # Same config file (keys, database), another port: a second API node.
    second.config = tmp_path / "node2" / "haneul.toml"
    second.config.write_text(first.config.read_text().replace(
        f"port = {first.port}", f"port = {second.port}"))
    start(second)
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[Cloud, Cloud]]:
    with nodes(tmp_path, 3600) as pair:
        yield pair


def test_a_token_from_one_node_validates_on_another_and_revocation_spreads(
    two_nodes: tuple[Cloud, Cloud],
) -> None:
    a, b = two_nodes
    admin = issue(a.url)
    victim = issue(a.url)
    assert status(b.url, "GET", admin, victim) == 200
    assert status(b.url, "DELETE", admin, victim) == 204
    assert status(a.url, "GET", admin, victim) == 404
    assert status(a.url, "HEAD", victim, victim) == 401


def test_tokens_survive_restart_and_rotation(two_nodes: tuple[Cloud, Cloud]) -> None:
    a, b = two_nodes
    token = issue(a.url)
    a.stop()
    subprocess.run([str(BIN / "haneul"), "token-rotate", "--config", str(a.config)],
                   check=True, capture_output=True)
    start(a)
    assert status(a.url, "GET", token, token) == 200
    fresh = issue(a.url)  # encrypted with the new primary key
    assert status(b.url, "GET", fresh, fresh) == 200
    assert status(b.url, "GET", fresh, token) == 200


def test_an_expired_token_is_refused_by_every_node(tmp_path: Path) -> None:
    # Its own clouds with 5 s tokens and no restart in between: however slow the
    # machine, the token is still fresh when first checked (it is checked at once).
    with nodes(tmp_path, 5) as (a, b):
        token, checker = issue(a.url), issue(b.url)
        assert status(b.url, "GET", checker, token) == 200
        wait_for(lambda: status(b.url, "GET", issue(b.url), token) == 404, 15,
                 "the token to expire")
        assert status(a.url, "GET", token, token) == 401
