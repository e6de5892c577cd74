"""Configuration: one TOML file, one settings object per service.

The file has a table per section (``[server]``, ``[database]``, ``[identity]`` ...).
Every field is documented where it is declared; unknown keys are refused so that a
misspelt option fails loudly instead of being ignored.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_CONFIG_PATH = Path("/etc/haneul/haneul.toml")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerSettings(Section):
    host: str = Field("127.0.0.1", description="Address the API listens on.")
    port: int = Field(5000, description="Port the API listens on.")
    public_url: str | None = Field(
        None,
        description="Base URL clients use to reach the API (catalog endpoints are built "
        "from it); defaults to http://HOST:PORT.",
    )
    workers: int = Field(
        1, ge=1, description="API worker processes; SQLite (WAL) supports several on one host."
    )
    log_format: str = Field("text", description="'text' or 'json' structured log lines.")
    log_level: str = Field("INFO", description="Root log level.")


class DatabaseSettings(Section):
    url: str | None = Field(
        None,
        description="SQLAlchemy URL; defaults to SQLite (WAL) in the state directory. "
        "Use postgresql+psycopg://... when several API nodes share one database.",
    )


class IdentitySettings(Section):
    token_expiration: int = Field(3600, description="Token lifetime in seconds.")
    key_repository: str | None = Field(
        None,
        description="Directory of token keys, shared by every API node; defaults to "
        "STATE_DIR/fernet-keys.",
    )
    credential_key_repository: str | None = Field(
        None,
        description="Directory of the keys that encrypt credential blobs at rest, shared by "
        "every API node; defaults to STATE_DIR/credential-keys.",
    )
    max_active_keys: int = Field(
        3, description="Keys kept by `haneul token-rotate` and `haneul credential-rotate`."
    )
    bcrypt_rounds: int = Field(
        12, ge=10, le=16, description="bcrypt cost for stored passwords (OWASP minimum 10)."
    )
    max_request_body_size: int = Field(114_688, description="Largest request body in bytes.")
    password_cache_size: int = Field(
        4096,
        description="Passwords already verified against their bcrypt hash that are kept "
        "(as keyed HMACs, never in clear) so repeat logins skip the slow hash.",
    )
    region: str = Field("RegionOne", description="Region of the endpoints bootstrap creates.")


class Config(Section):
    state_dir: str = Field("/var/lib/haneul", description="Where databases and keys live.")
    enabled_services: list[str] = Field(
        default_factory=lambda: ["identity"], description="Services this node serves."
    )
    server: ServerSettings = Field(default_factory=lambda: ServerSettings())
    database: DatabaseSettings = Field(default_factory=lambda: DatabaseSettings())
    identity: IdentitySettings = Field(default_factory=lambda: IdentitySettings())

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{Path(self.state_dir) / 'haneul.db'}"

    @property
    def public_url(self) -> str:
        return (self.server.public_url or f"http://{self.server.host}:{self.server.port}").rstrip(
            "/"
        )

    @property
    def key_repository(self) -> Path:
        return Path(self.identity.key_repository or Path(self.state_dir) / "fernet-keys")

    @property
    def credential_key_repository(self) -> Path:
        return Path(
            self.identity.credential_key_repository or Path(self.state_dir) / "credential-keys"
        )


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else $HANEUL_CONFIG, else the user's file, else /etc/haneul."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("HANEUL_CONFIG")
    if env:
        return Path(env)
    user = Path.home() / ".config" / "haneul" / "haneul.toml"
    return user if user.exists() else DEFAULT_CONFIG_PATH


def load_config(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Config:
    """Read the config file (missing is fine: defaults apply), then apply overrides."""
    file = config_path(path)
    data: dict[str, Any] = {}
    if file.exists():
        data = tomllib.loads(file.read_text())
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, _, key = dotted.partition("__")
        if key:
            data.setdefault(section, {})[key] = value
        else:
            data[section] = value
    return Config.model_validate(data)
