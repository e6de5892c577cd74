"""Configuration: one TOML file, one settings object per service.

The file has a table per section (``[server]``, ``[database]``, ``[identity]`` ...).
Every field is documented where it is declared; unknown keys are refused so that a
misspelt option fails loudly instead of being ignored.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runtime.network.settings import NetworkSettings

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


class SecurityComplianceSettings(Section):
    """Keystone's ``[security_compliance]`` (PCI-DSS) password and account rules.

    Every rule is off by default, as in Keystone. `haneul bootstrap` stays the operator's
    recovery tool whatever the rules: the password it sets never expires and it unlocks
    the admin.
    """

    lockout_failure_attempts: int | None = Field(
        None,
        ge=1,
        description="Failed password authentications (counted per user) after which the "
        "account is locked for lockout_duration; unset disables lockout. A user with the "
        "option ignore_lockout_failure_attempts is never locked; re-enabling a user "
        "(PATCH enabled=true) unlocks it.",
    )
    lockout_duration: int | None = Field(
        1800,
        ge=1,
        description="Seconds an account stays locked once lockout_failure_attempts is "
        "reached; null keeps it locked until an administrator re-enables the user.",
    )
    disable_user_account_days_inactive: int | None = Field(
        None,
        ge=1,
        description="Days without a successful authentication after which a user counts "
        "as disabled (shown as enabled=false) until re-enabled; unset disables this. Users "
        "with the option ignore_user_inactivity are exempt.",
    )
    password_expires_days: int | None = Field(
        None,
        ge=1,
        description="Days a newly set password stays valid (password_expires_at); an "
        "expired password can only be used to change itself. Existing passwords are not "
        "affected; users with the option ignore_password_expiry are exempt.",
    )
    unique_last_password_count: int = Field(
        0,
        ge=0,
        description="A password a user sets themselves must differ from their last N "
        "passwords, the current one included; 0 disables the history. Administrator "
        "resets are not checked.",
    )
    minimum_password_age: int = Field(
        0,
        ge=0,
        description="Days a password set by its user must be kept before the user may "
        "change it again (administrator resets are not limited); 0 disables this.",
    )
    password_regex: str | None = Field(
        None,
        description="Regular expression (Python syntax, matched from the start) every new "
        "password must match; unset accepts any password.",
    )
    password_regex_description: str | None = Field(
        None,
        description="The password_regex in words, returned to users whose password does "
        "not match it.",
    )
    change_password_upon_first_use: bool = Field(
        False,
        description="Passwords set at user creation or by an administrator reset start "
        "expired, so the user must change them before anything else. Users with the option "
        "ignore_change_password_upon_first_use are exempt.",
    )

    @field_validator("password_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        # Refuse a broken pattern at startup rather than on a user's password change.
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(
                    f"password_regex is not a valid regular expression: {exc}") from exc
        return value


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
    security_compliance: SecurityComplianceSettings = Field(
        default_factory=lambda: SecurityComplianceSettings(),
        description="Password and account rules (TOML table [identity.security_compliance]).",
    )


class StoreSettings(Section):
    path: str | None = Field(
        None, description="Directory holding this store's image files; defaults to "
        "STATE_DIR/images for the default store and STATE_DIR/images-<name> for others.")
    description: str = Field("Filesystem store", description="Shown in GET /v2/info/stores.")
    weight: int = Field(
        0, description="Preference among stores: downloads read from the heaviest store "
        "holding the image, and an image's `stores` list heaviest first.")
    reserve_bytes: int = Field(
        64 * 1024 * 1024, ge=0, description="Bytes of the store's filesystem kept free: an "
        "upload whose Content-Length exceeds the free space less this is refused with 413 "
        "before any data is read, and one without a length is stopped (413, image left "
        "queued) when it reaches it. The default store's value also applies to the "
        "glance-direct staging area.")


class ImageSettings(Section):
    stores: dict[str, StoreSettings] = Field(
        default_factory=lambda: {"file": StoreSettings()},
        description="Filesystem stores by name ([image.stores.NAME]); more than one makes "
        "the image service multi-store (import to chosen stores, copy-image).")
    default_store: str = Field("file", description="Store that uploads land in.")
    staging_dir: str | None = Field(
        None, description="Where glance-direct stages data; defaults to STATE_DIR/images-staging.")
    image_size_cap: int = Field(
        1_099_511_627_776, ge=0, description="Largest image in bytes (Glance's default 1 TiB).")
    image_count_total: int = Field(
        -1, ge=-1, description="Images a project may own; -1 is unlimited.")
    image_size_total: int = Field(
        -1, ge=-1, description="Bytes of image data a project may store (staged data "
        "included); -1 is unlimited.")
    require_image_format_match: bool = Field(
        True, description="Refuse uploads whose content is not the declared disk_format "
        "(and qcow2 with backing or data files), as Glance does since 2024.2.")
    list_default_limit: int = Field(25, ge=1, description="Page size of image lists.")
    list_max_limit: int = Field(1000, ge=1, description="Largest page a client may ask for.")
    image_member_quota: int = Field(128, description="Members an image may have.")
    image_tag_quota: int = Field(128, description="Tags an image may have.")
    image_property_quota: int = Field(128, description="Extra properties an image may have.")
    web_download_allowed_schemes: list[str] = Field(
        default_factory=lambda: ["http", "https"],
        description="URI schemes web-download may fetch from.")
    web_download_allowed_ports: list[int] = Field(
        default_factory=lambda: [80, 443], description="Ports web-download may fetch from.")
    web_download_disallowed_hosts: list[str] = Field(
        default_factory=list, description="Hosts web-download refuses to fetch from.")
    max_request_body_size: int = Field(
        65_536, description="Largest JSON request body in bytes (image data is streamed).")


class ComputeQuotaSettings(Section):
    """Default quotas of every project (Nova's ``[quota]``); -1 is unlimited."""

    instances: int = Field(10, ge=-1, description="Servers a project may have.")
    cores: int = Field(20, ge=-1, description="vCPUs a project's servers may use in total.")
    ram: int = Field(51200, ge=-1, description="MiB of RAM a project's servers may use.")
    metadata_items: int = Field(128, ge=-1, description="Metadata items per server.")
    key_pairs: int = Field(100, ge=-1, description="Key pairs per user.")
    server_groups: int = Field(10, ge=-1, description="Server groups per project.")
    server_group_members: int = Field(10, ge=-1, description="Servers per server group.")
    injected_files: int = Field(5, ge=-1, description="Personality files per server (<2.57).")
    injected_file_content_bytes: int = Field(
        10240, ge=-1, description="Bytes per personality file (<2.57).")
    injected_file_path_bytes: int = Field(
        255, ge=-1, description="Path length of a personality file (<2.57).")


class ComputeSettings(Section):
    """Nova: the API's limits and quotas, the scheduler, and the compute agent."""

    cpu_allocation_ratio: float = Field(
        16.0, gt=0, description="vCPUs the scheduler may place per physical CPU.")
    ram_allocation_ratio: float = Field(
        1.5, gt=0, description="Overcommit of host RAM the scheduler allows.")
    disk_allocation_ratio: float = Field(
        1.0, gt=0, description="Overcommit of the instances directory's disk.")
    reserved_host_memory_mb: int = Field(
        512, ge=0, description="Host RAM an agent keeps out of what it reports.")
    reserved_host_disk_mb: int = Field(0, ge=0, description="Disk kept out likewise.")
    reserved_host_cpus: int = Field(0, ge=0, description="CPUs kept out likewise.")
    weigher: Literal["spread", "pack"] = Field(
        "spread", description="'spread' puts a server on the host with the most free RAM; "
        "'pack' on the one with the least that still fits.")
    default_availability_zone: str = Field(
        "nova", description="Zone of compute hosts that name none, and of servers that "
        "ask for none.")
    service_down_time: int = Field(
        60, ge=1, description="Seconds without a heartbeat after which a compute host is "
        "down: not scheduled to, and its servers are deleted without it.")
    quota: ComputeQuotaSettings = Field(
        default_factory=lambda: ComputeQuotaSettings(),
        description="Default quotas (TOML table [compute.quota]).")
    max_microversion: str = Field(
        "2.96", description="Highest compute API microversion served.")
    force_config_drive: bool = Field(
        True, description="Give every server a config drive, asked for or not: until the "
        "network service provides a metadata service, it is how guests learn their id, "
        "keys and user data.")
    list_max_limit: int = Field(1000, ge=1, description="Largest page of a server list.")
    snapshot_wait: float = Field(
        120.0, ge=0, description="Seconds createImage waits for the host to upload the "
        "snapshot before answering (clients look the image up at once).")
    max_request_body_size: int = Field(
        114_688, description="Largest JSON request body in bytes.")
    console_log_max_bytes: int = Field(
        262_144, ge=1024, description="Tail of each server's serial console the "
        "controller keeps for os-getConsoleOutput.")
    agent_secret: str | None = Field(
        None, description="Shared secret compute agents present to the controller's "
        "internal API; defaults to the contents of STATE_DIR/compute-agent.secret, "
        "created on first use.")
    # The agent's own settings: read on compute nodes by `haneul agent compute`.
    controller_url: str | None = Field(
        None, description="Base URL of the controller API the agent watches; defaults to "
        "the server's public URL.")
    host: str | None = Field(
        None, description="This compute host's name; defaults to the machine's hostname.")
    availability_zone: str | None = Field(
        None, description="Zone this compute host registers in; default_availability_zone "
        "if unset.")
    driver: Literal["libvirt", "fake"] = Field(
        "libvirt", description="Hypervisor driver of the agent ('fake' only for tests).")
    libvirt_uri: str = Field("qemu:///system", description="libvirt connection URI.")
    virt_type: Literal["auto", "kvm", "qemu"] = Field(
        "auto", description="'auto' uses KVM only where the CPU offers VMX/SVM and "
        "/dev/kvm opens, QEMU's TCG otherwise.")
    serial_console: bool = Field(
        True, description="Give each guest an interactive serial console (a TCP listener "
        "on serial_listen, reached through remote-consoles' websocket proxy).")
    serial_listen: str = Field(
        "127.0.0.1", description="Address the guests' serial consoles listen on: one the "
        "API nodes can reach, and no one else.")
    serial_port_range: str = Field(
        "10000:20000", pattern=r"^\d+:\d+$", description="Ports for serial consoles, "
        "LOW:HIGH (Nova's [serial_console] port_range).")
    instances_dir: str | None = Field(
        None, description="Where the agent keeps base images, disks, config drives and "
        "console logs; defaults to STATE_DIR/instances.")
    poll_timeout: float = Field(
        25.0, gt=0, le=300, description="Seconds a long-poll of the agent waits for "
        "changes before asking again.")
    sync_interval: float = Field(
        1.0, gt=0, description="Seconds between the agent's power-state and console checks.")
    heartbeat_interval: float = Field(
        10.0, gt=0, description="Seconds between the agent's resource reports.")
    vif_plugging_timeout: int = Field(
        300, ge=0, description="Seconds a new guest waits, paused, for its ports to go "
        "ACTIVE (the network agent has wired them and their security groups) before it "
        "runs; past that the server goes to ERROR. Only where a network agent serves the "
        "host; 0: never wait (Nova's vif_plugging_timeout).")


class Config(Section):
    state_dir: str = Field("/var/lib/haneul", description="Where databases and keys live.")
    enabled_services: list[str] = Field(
        default_factory=lambda: ["identity", "image", "compute", "network"],
        description="Services this node serves."
    )
    server: ServerSettings = Field(default_factory=lambda: ServerSettings())
    database: DatabaseSettings = Field(default_factory=lambda: DatabaseSettings())
    identity: IdentitySettings = Field(default_factory=lambda: IdentitySettings())
    image: ImageSettings = Field(default_factory=lambda: ImageSettings())
    compute: ComputeSettings = Field(default_factory=lambda: ComputeSettings())
    network: NetworkSettings = Field(default_factory=lambda: NetworkSettings())

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
