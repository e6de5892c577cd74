"""Image data over HTTP on loopback: PUT and GET /v2/images/{id}/file with plain
http.client (1 MiB blocks, streamed from and to files), and the real `openstack` CLI."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.image.disk import MIB, Rate

BIN = Path(sys.executable).parent


class Glance:
    """The image API with one token; one connection per call, as a client would."""

    def __init__(self, url: str, token: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.base = parts.path.rstrip("/") + "/image/v2"
        self.token = token

    def _conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=600, blocksize=MIB)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        conn = self._conn()
        try:
            headers = {"X-Auth-Token": self.token}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, self.base + path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status} {raw[:300]!r}")
            return json.loads(raw) if raw else None
        finally:
            conn.close()

    def create(self, name: str) -> str:
        image = self.call("POST", "/images", {"name": name, "disk_format": "raw",
                                              "container_format": "bare"})
        return str(image["id"])

    def upload(self, image_id: str, source: Path) -> Rate:
        size = source.stat().st_size
        conn = self._conn()
        try:
            with source.open("rb") as body:
                started = time.perf_counter()
                conn.request("PUT", f"{self.base}/images/{image_id}/file", body=body,
                             headers={"X-Auth-Token": self.token,
                                      "Content-Type": "application/octet-stream",
                                      "Content-Length": str(size)})
                resp = conn.getresponse()
                raw = resp.read()
                seconds = time.perf_counter() - started
            if resp.status != 204:
                raise RuntimeError(f"upload answered {resp.status}: {raw[:300]!r}")
        finally:
            conn.close()
        return Rate(seconds, size)

    def download(self, image_id: str) -> tuple[Rate, str | None]:
        """The data read and thrown away (as to /dev/null); the Content-MD5 answered."""
        conn = self._conn()
        buf = memoryview(bytearray(MIB))
        got = 0
        try:
            started = time.perf_counter()
            conn.request("GET", f"{self.base}/images/{image_id}/file",
                         headers={"X-Auth-Token": self.token})
            resp = conn.getresponse()
            if resp.status != 200:
                raise RuntimeError(f"download answered {resp.status}: {resp.read()[:300]!r}")
            while n := resp.readinto(buf):
                got += n
            seconds = time.perf_counter() - started
            md5 = resp.getheader("Content-MD5")
        finally:
            conn.close()
        return Rate(seconds, got), md5

    def delete(self, image_id: str) -> None:
        self.call("DELETE", f"/images/{image_id}")


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while block := f.read(8 * MIB):
            digest.update(block)
    return digest.hexdigest()


def cli(clouds_yaml: Path, *args: str) -> tuple[float, str]:
    """Run `openstack ARGS` against the bench cloud; (wall seconds, stdout)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=str(clouds_yaml), OS_CLOUD="haneul")
    started = time.perf_counter()
    proc = subprocess.run([str(BIN / "openstack"), *args], env=env, capture_output=True,
                          text=True, timeout=1800)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"openstack {' '.join(args)} failed: {proc.stderr[-1000:]}")
    return seconds, proc.stdout
