"""The deployment's generated secrets: alphanumeric, kept on the deployment host only.

They are created once per inventory (mode 0600), read by the playbooks through
`include_vars` in tasks marked `no_log`, and never printed or passed on a command line.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path
from typing import Any

import yaml

from installer.inventory import Inventory

NAMES = ("haneul_admin_password", "haneul_agent_secret", "haneul_database_password",
         "haneul_network_agent_secret")
_ALPHABET = string.ascii_letters + string.digits


def secrets_path(inventory: Inventory) -> Path:
    explicit = inventory.variables.get("haneul_secrets_file")
    if explicit:
        return Path(str(explicit)).expanduser()
    return Path.home() / ".config" / "haneul" / "secrets" / f"{inventory.path.stem}.yml"


def ensure_secrets(path: Path) -> Path:
    """Create the missing secrets (never changes an existing one)."""
    current: dict[str, Any] = {}
    if path.exists():
        current = yaml.safe_load(path.read_text()) or {}
    missing = [name for name in NAMES if not current.get(name)]
    if missing:
        for name in missing:
            current[name] = "".join(secrets.choice(_ALPHABET) for _ in range(32))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            yaml.safe_dump(current, out, default_flow_style=False)
        tmp.replace(path)
    os.chmod(path, 0o600)
    return path
