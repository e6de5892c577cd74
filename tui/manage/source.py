"""Where manage mode's data comes from: a cloud through openstacksdk (`SdkSource`), or fixed
rows (`StaticSource`, for snapshots and benchmarks). Every method may block: call them
from workers only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from tui.manage.resources.base import Action, Resource, Row, Values, to_row


class ServiceMissing(Exception):
    """The cloud's catalog has no endpoint for the service a resource lives in."""

    def __init__(self, service: str) -> None:
        super().__init__(f"the cloud has no {service} service")
        self.service = service


class ReadOnly(Exception):
    def __init__(self) -> None:
        super().__init__("read-only mode: changes are disabled (started with --readonly)")


class Source(Protocol):
    @property
    def cloud(self) -> str: ...
    @property
    def project(self) -> str: ...

    def has_service(self, service: str) -> bool: ...
    def fetch(self, resource: Resource) -> list[Row]: ...
    def run(self, action: Action, row: Row | None, values: Values) -> Any: ...
    def console(self, server_id: str) -> str: ...
    def projects(self) -> list[Row]: ...
    def clouds(self) -> list[str]: ...
    def for_project(self, project_id: str, name: str = "") -> Source: ...
    def for_cloud(self, cloud: str) -> Source: ...


def load_config(clouds_yaml: Path | None = None) -> Any:
    from openstack.config import OpenStackConfig

    files = [str(clouds_yaml)] if clouds_yaml else None
    return OpenStackConfig(config_files=files) if files else OpenStackConfig()


def cloud_names(clouds_yaml: Path | None = None) -> list[str]:
    """The clouds clouds.yaml names (empty when there is no clouds.yaml)."""
    try:
        config = load_config(clouds_yaml)
        return sorted(config.get_cloud_names())
    except Exception:
        return []


class SdkSource:
    """A cloud through openstacksdk, as any other client reaches it."""

    def __init__(self, conn: Any, cloud: str, clouds_yaml: Path | None = None,
                 project_name: str | None = None) -> None:
        self.conn = conn
        self.cloud = cloud
        self.clouds_yaml = clouds_yaml
        self.project_name = project_name
        self._services: dict[str, bool] = {}

    @classmethod
    def connect(cls, cloud: str, clouds_yaml: Path | None = None) -> SdkSource:
        import openstack.connection

        region = load_config(clouds_yaml).get_one(cloud)
        return cls(openstack.connection.Connection(config=region), cloud, clouds_yaml)

    @property
    def project(self) -> str:
        if self.project_name:
            return self.project_name
        auth = self.conn.config.config.get("auth", {})
        return str(auth.get("project_name") or auth.get("project_id") or "")

    def has_service(self, service: str) -> bool:
        """Whether the token's catalog lists the service. Raises the cloud's own error when
        there is no token to be had (wrong password, cloud down): that is not an absent
        service."""
        if service not in self._services:
            access = self.conn.session.auth.get_access(self.conn.session)
            endpoints = access.service_catalog.get_endpoints(service_type=service)
            self._services[service] = bool(endpoints.get(service))
        return self._services[service]

    def fetch(self, resource: Resource) -> list[Row]:
        if not self.has_service(resource.service):
            raise ServiceMissing(resource.service)
        return [to_row(obj) for obj in resource.fetch(self.conn)]

    def run(self, action: Action, row: Row | None, values: Values) -> Any:
        return action.run(self.conn, row, values)

    def console(self, server_id: str) -> str:
        out = self.conn.compute.get_server_console_output(server_id)
        return str((out or {}).get("output") or "")

    def projects(self) -> list[Row]:
        try:
            return [to_row(p) for p in self.conn.identity.user_projects(
                self.conn.current_user_id)]
        except Exception:
            return [to_row(p) for p in self.conn.identity.projects()]

    def clouds(self) -> list[str]:
        return cloud_names(self.clouds_yaml)

    def for_project(self, project_id: str, name: str = "") -> SdkSource:
        # A dict: openstacksdk takes a bare string for a project *name*.
        conn = self.conn.connect_as_project({"id": project_id, "name": name or None})
        return SdkSource(conn, self.cloud, self.clouds_yaml, project_name=name or project_id)

    def for_cloud(self, cloud: str) -> SdkSource:
        return SdkSource.connect(cloud, self.clouds_yaml)


class StaticSource:
    """Fixed rows by resource name; changes are recorded, not made."""

    def __init__(self, rows: dict[str, list[Row]], services: set[str] | None = None,
                 cloud: str = "static", project: str = "demo",
                 console_text: str = "") -> None:
        self.rows = rows
        self.services = services if services is not None else {"identity", "image",
                                                               "compute", "network"}
        self.cloud = cloud
        self.project = project
        self.console_text = console_text
        self.done: list[tuple[str, Row | None, Values]] = []
        self.on_run: Callable[[Action, Row | None, Values], Any] | None = None

    def has_service(self, service: str) -> bool:
        return service in self.services

    def fetch(self, resource: Resource) -> list[Row]:
        if resource.service not in self.services:
            raise ServiceMissing(resource.service)
        return [dict(r) for r in self.rows.get(resource.name, [])]

    def run(self, action: Action, row: Row | None, values: Values) -> Any:
        self.done.append((action.name, row, values))
        return self.on_run(action, row, values) if self.on_run else None

    def console(self, server_id: str) -> str:
        return self.console_text

    def projects(self) -> list[Row]:
        return [dict(r) for r in self.rows.get("projects", [])]

    def clouds(self) -> list[str]:
        return [self.cloud]

    def for_project(self, project_id: str, name: str = "") -> StaticSource:
        return self

    def for_cloud(self, cloud: str) -> StaticSource:
        return self
