"""The admin's client configuration: a cloud in clouds.yaml and an openrc file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    os.chmod(path, 0o600)


def write_clouds_yaml(
    path: Path, cloud: str, auth_url: str, username: str, password: str, project: str,
    region: str,
) -> None:
    """Add or replace ``cloud`` in ``path``, keeping every other cloud there."""
    data: dict[str, Any] = {}
    if path.exists():
        data = yaml.safe_load(path.read_text()) or {}
    data.setdefault("clouds", {})[cloud] = {
        "auth": {
            "auth_url": auth_url,
            "username": username,
            "password": password,
            "project_name": project,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": region,
        "identity_api_version": 3,
        "interface": "public",
    }
    _write_private(path, yaml.safe_dump(data, sort_keys=False))


def write_openrc(
    path: Path, auth_url: str, username: str, password: str, project: str, region: str
) -> None:
    def q(v: str) -> str:
        return "'" + v.replace("'", "'\\''") + "'"

    lines = [
        f"export OS_AUTH_URL={q(auth_url)}",
        f"export OS_USERNAME={q(username)}",
        f"export OS_PASSWORD={q(password)}",
        f"export OS_PROJECT_NAME={q(project)}",
        "export OS_USER_DOMAIN_NAME=Default",
        "export OS_PROJECT_DOMAIN_NAME=Default",
        f"export OS_REGION_NAME={q(region)}",
        "export OS_IDENTITY_API_VERSION=3",
        "export OS_INTERFACE=public",
    ]
    _write_private(path, "\n".join(lines) + "\n")
