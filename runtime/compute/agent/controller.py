"""The agent's HTTP client for the controller's internal compute API (stdlib only, so a
compute node needs nothing the controller does not)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from runtime.compute.drivers.base import HostResources

PREFIX = "/compute/internal/v1"
SECRET_HEADER = "X-Haneul-Agent-Secret"


class ControllerError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


@dataclass(frozen=True)
class Desired:
    generation: int
    servers: list[dict[str, Any]]


class ControllerClient:
    def __init__(self, base_url: str, secret: str, host: str, timeout: float = 30.0) -> None:
        self.base = base_url.rstrip("/") + PREFIX
        self.secret = secret
        self.host = host
        self.timeout = timeout

    def _request(self, method: str, path: str, body: Any = None,
                 timeout: float | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header(SECRET_HEADER, self.secret)
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

    def register(self, resources: HostResources, zone: str | None) -> dict[str, Any]:
        body = {
            "zone": zone, "hypervisor_hostname": resources.hypervisor_hostname,
            "hypervisor_type": resources.hypervisor_type,
            "hypervisor_version": resources.hypervisor_version, "vcpus": resources.vcpus,
            "memory_mb": resources.memory_mb, "local_gb": resources.local_gb,
            "free_disk_gb": resources.free_disk_gb, "host_ip": resources.host_ip,
            "cpu_info": resources.cpu_info}
        result: dict[str, Any] = self._request("PUT", self._host, body)
        return result

    def servers(self, since: int, wait: float) -> Desired:
        data = self._request("GET", f"{self._host}/servers?since={since}&wait={wait}",
                             timeout=wait + self.timeout)
        return Desired(int(data["generation"]), list(data["servers"]))

    def report(self, server_id: str, report: dict[str, Any]) -> bool:
        data = self._request("POST", f"{self._host}/servers/{server_id}/report", report)
        return bool(data["known"])

    def port_statuses(self, server_id: str) -> dict[str, str]:
        data = self._request("GET", f"{self._host}/servers/{server_id}/ports")
        return {str(k): str(v) for k, v in data["ports"].items()}

    def console(self, server_id: str, offset: int, length: int, text: str) -> int | None:
        """Ship console text; the offset the controller now has (None: server gone)."""
        try:
            data = self._request("POST", f"{self._host}/servers/{server_id}/console",
                                 {"offset": offset, "length": length, "text": text})
        except ControllerError as err:
            if err.status == 404:
                return None
            raise
        return int(data["offset"])

    def upload_snapshot(self, server_id: str, path: Path, disk_format: str,
                        serial: int) -> None:
        """Stream a snapshot file to the controller (never read whole into memory)."""
        size = path.stat().st_size
        url = (f"{self.base}{self._host}/servers/{server_id}/snapshot"
               f"?disk_format={disk_format}&task_serial={serial}")
        with path.open("rb") as body:
            req = urllib.request.Request(url, data=body, method="PUT")
            req.add_header(SECRET_HEADER, self.secret)
            req.add_header("Content-Type", "application/octet-stream")
            req.add_header("Content-Length", str(size))
            try:
                with urllib.request.urlopen(req, timeout=self.timeout * 10) as resp:
                    resp.read()
            except urllib.error.HTTPError as err:
                raise ControllerError(err.code, err.read().decode(errors="replace")) from None

    def image(self, image_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self._request("GET", f"/images/{image_id}")["image"]
        return data

    def fetch_image(self, image_id: str, dest: Path) -> None:
        """Stream an image's data to ``dest`` (written aside, then renamed in place)."""
        req = urllib.request.Request(f"{self.base}/images/{image_id}/data")
        req.add_header(SECRET_HEADER, self.secret)
        partial = dest.with_name(dest.name + f".part-{os.getpid()}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp, \
                    partial.open("wb") as out:
                shutil.copyfileobj(resp, out, 1 << 20)
            os.replace(partial, dest)
        except urllib.error.HTTPError as err:
            raise ControllerError(err.code, err.read().decode(errors="replace")) from None
        finally:
            partial.unlink(missing_ok=True)
