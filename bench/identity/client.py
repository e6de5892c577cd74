"""A small Keystone v3 client on http.client: just what the benchmark needs.

It issues tokens, creates and deletes users, and grants roles. One `Keystone` object
holds one keep-alive connection, so give each thread its own.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any


class KeystoneError(RuntimeError):
    """A request that did not get the expected status."""

    def __init__(self, method: str, url: str, status: int, body: bytes) -> None:
        self.status = status
        text = body[:500].decode("utf-8", "replace")
        super().__init__(f"{method} {url} -> {status}: {text}")


@dataclass(frozen=True)
class Credentials:
    """Password credentials for a project-scoped token."""

    username: str
    password: str
    project: str
    domain: str = "Default"

    def auth_body(self) -> dict[str, Any]:
        """The JSON body of POST /v3/auth/tokens for these credentials."""
        return password_auth_body(self.username, self.password, self.project, self.domain)


def password_auth_body(username: str, password: str, project: str, domain: str) -> dict[str, Any]:
    """A project-scoped password authentication request, users and project by name."""
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": username,
                        "domain": {"name": domain},
                        "password": password,
                    }
                },
            },
            "scope": {"project": {"name": project, "domain": {"name": domain}}},
        }
    }


@dataclass(frozen=True)
class Token:
    """An issued token and the ids its body names."""

    id: str
    user_id: str
    project_id: str
    domain_id: str
    body: dict[str, Any]


class Keystone:
    """A keep-alive connection to one Keystone v3 endpoint (`…/v3`)."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http:// URLs are supported: {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Keystone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """Send one request, reconnecting once if a kept-alive connection was closed."""
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Accept": "application/json"}
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, self.prefix + path, body=data, headers=hdrs)
                resp = self._conn.getresponse()
                payload = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
                continue
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            return resp.status, resp.headers, payload
        raise AssertionError("unreachable")

    def _expect(
        self,
        method: str,
        path: str,
        statuses: tuple[int, ...],
        body: Any = None,
        token: str | None = None,
        retries: int = 0,
    ) -> tuple[http.client.HTTPMessage, Any]:
        headers = {"X-Auth-Token": token} if token else {}
        for attempt in range(retries + 1):
            status, hdrs, payload = self.request(method, path, body, headers)
            if status in statuses:
                return hdrs, json.loads(payload) if payload else None
            # Upstream Keystone on SQLite with several workers answers 500 ("database
            # is locked") now and then under concurrent writes: retry those.
            if status >= 500 and attempt < retries:
                time.sleep(0.2 * (attempt + 1))
                continue
            raise KeystoneError(method, self.base_url + path, status, payload)
        raise AssertionError("unreachable")

    def version(self) -> dict[str, Any]:
        """GET the version document (`…/v3`): a cheap liveness probe."""
        _, body = self._expect("GET", "", (200,))
        return dict(body)

    def issue(self, creds: Credentials) -> Token:
        """POST /v3/auth/tokens with a password."""
        hdrs, body = self._expect("POST", "/auth/tokens", (201,), creds.auth_body())
        tok = body["token"]
        return Token(
            id=hdrs["X-Subject-Token"],
            user_id=tok["user"]["id"],
            project_id=tok["project"]["id"],
            domain_id=tok["project"]["domain"]["id"],
            body=body,
        )

    def validate(self, token: str, subject: str) -> dict[str, Any]:
        """GET /v3/auth/tokens."""
        status, _, payload = self.request(
            "GET", "/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": subject}
        )
        if status != 200:
            raise KeystoneError("GET", self.base_url + "/auth/tokens", status, payload)
        return dict(json.loads(payload))

    def role_id(self, token: str, name: str) -> str:
        _, body = self._expect(
            "GET", "/roles?" + urllib.parse.urlencode({"name": name}), (200,), token=token
        )
        roles = [r for r in body["roles"] if r["name"] == name]
        if not roles:
            raise LookupError(f"no role named {name!r}")
        return str(roles[0]["id"])

    def create_user(
        self, token: str, name: str, password: str, domain_id: str, project_id: str
    ) -> str:
        body = {
            "user": {
                "name": name,
                "password": password,
                "domain_id": domain_id,
                "default_project_id": project_id,
                "enabled": True,
            }
        }
        _, resp = self._expect("POST", "/users", (201,), body, token=token, retries=5)
        return str(resp["user"]["id"])

    def grant(self, token: str, project_id: str, user_id: str, role_id: str) -> None:
        path = f"/projects/{project_id}/users/{user_id}/roles/{role_id}"
        self._expect("PUT", path, (200, 201, 204), token=token, retries=5)

    def delete_user(self, token: str, user_id: str) -> None:
        self._expect("DELETE", f"/users/{user_id}", (204, 404), token=token, retries=3)

    def find_users(self, token: str, prefix: str) -> list[str]:
        """Ids of the users whose name starts with `prefix` (left over by a killed run)."""
        _, body = self._expect("GET", "/users", (200,), token=token)
        return [str(u["id"]) for u in body["users"] if str(u["name"]).startswith(prefix)]
