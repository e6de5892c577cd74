"""The agent's HTTP client for the controller's internal network API (stdlib only, so a
network node needs nothing the controller does not)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

PREFIX = "/networking/internal/v1"
SECRET_HEADER = "X-Haneul-Agent-Secret"


class ControllerError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


@dataclass(frozen=True)
class Desired:
    generation: int
    state: dict[str, Any]


class ControllerClient:
    def __init__(self, base_url: str, secret: str, host: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.base = self.base_url + PREFIX
        self.secret = secret
        self.host = host
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None,
                timeout: float | None = None, headers: dict[str, str] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header(SECRET_HEADER, self.secret)
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as err:
            raise ControllerError(err.code, err.read().decode(errors="replace")) from None
        return json.loads(raw) if raw else None

    @property
    def _host(self) -> str:
        return "/hosts/" + quote(self.host, safe="")

    def report(self, agent: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/agents", {**agent, "host": self.host})
        return result

    def state(self, since: int, wait: float) -> Desired:
        data = self.request("GET", f"{self._host}/state?since={since}&wait={wait}",
                            timeout=wait + self.timeout)
        return Desired(int(data.pop("generation")), data)

    def ensure_dhcp_port(self, network_id: str) -> str:
        data = self.request("PUT", f"{self._host}/networks/{network_id}/dhcp-port", {})
        return str(data["port_id"])

    def claim_router(self, router_id: str) -> list[str]:
        data = self.request("PUT", f"{self._host}/routers/{router_id}", {})
        return list(data["ports"])

    def port_status(self, statuses: dict[str, str]) -> dict[str, str]:
        data = self.request("POST", f"{self._host}/ports/status", {"ports": statuses})
        return dict(data["ports"])
