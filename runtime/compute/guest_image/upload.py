"""Upload haneul-test into a cloud's image service, as the deployment's last step.

Standard library only: it runs on a freshly deployed control host whose environment has
no OpenStack client. Credentials come from the usual OS_* variables. The disk is
uploaded AMI-style, as tests/e2e does: it names its kernel and ramdisk images and the
kernel command line, so guests boot directly from the kernel (the fast path under TCG).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from runtime.compute.guest_image.build import NAME, GuestImage


class UploadError(RuntimeError):
    pass


def _call(method: str, url: str, token: str | None = None, body: Any = None,
          headers: dict[str, str] | None = None) -> tuple[dict[str, Any], Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            return dict(resp.headers), (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as err:
        raise UploadError(f"{method} {url}: {err.code} {err.read()[:300]!r}") from None


def _login() -> tuple[str, str]:
    """A project-scoped token and the public image endpoint, from OS_* variables."""
    env = os.environ
    try:
        auth_url = env["OS_AUTH_URL"].rstrip("/")
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": env["OS_USERNAME"], "password": env["OS_PASSWORD"],
                "domain": {"name": env.get("OS_USER_DOMAIN_NAME", "Default")}}}},
            "scope": {"project": {"name": env["OS_PROJECT_NAME"], "domain": {
                "name": env.get("OS_PROJECT_DOMAIN_NAME", "Default")}}}}}
    except KeyError as err:
        raise UploadError(f"{err.args[0]} is not set (source an openrc)") from None
    headers, data = _call("POST", auth_url + "/auth/tokens", body=body)
    token = headers.get("X-Subject-Token") or headers.get("x-subject-token")
    if not token:
        raise UploadError("the identity service returned no token")
    for service in data["token"].get("catalog", []):
        if service["type"] == "image":
            for endpoint in service["endpoints"]:
                if endpoint["interface"] == "public":
                    return token, str(endpoint["url"]).rstrip("/")
    raise UploadError("the catalog has no public image endpoint")


def _existing(base: str, token: str, name: str) -> dict[str, Any] | None:
    _, data = _call("GET", f"{base}/v2/images?name={quote(name)}", token)
    active = [i for i in data["images"] if i["status"] == "active"]
    return active[0] if active else None


def _create(base: str, token: str, path: Path, **props: Any) -> str:
    _, image = _call("POST", base + "/v2/images", token, props)
    size = path.stat().st_size
    with path.open("rb") as src:
        req = urllib.request.Request(f"{base}/v2/images/{image['id']}/file", data=src,
                                     method="PUT")
        req.add_header("Content-Type", "application/octet-stream")
        req.add_header("Content-Length", str(size))
        req.add_header("X-Auth-Token", token)
        try:
            urllib.request.urlopen(req, timeout=600).close()
        except urllib.error.HTTPError as err:
            raise UploadError(f"uploading {path}: {err.code} {err.read()[:300]!r}") from None
    return str(image["id"])


def upload(image: GuestImage, visibility: str = "public") -> str:
    """Upload haneul-test unless an active one exists: "present" or "uploaded"."""
    token, base = _login()
    if _existing(base, token, NAME) is not None:
        return "present"
    kernel = _create(base, token, image.vmlinux, name=f"{NAME}-kernel", disk_format="aki",
                     container_format="aki", visibility=visibility)
    ramdisk = _create(base, token, image.initrd, name=f"{NAME}-ramdisk", disk_format="ari",
                      container_format="ari", visibility=visibility)
    _create(base, token, image.qcow2, name=NAME, disk_format="qcow2",
            container_format="bare", visibility=visibility, kernel_id=kernel,
            ramdisk_id=ramdisk, os_command_line=image.disk_cmdline)
    return "uploaded"
