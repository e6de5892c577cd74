"""What a service tells the app factory about itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceInfo:
    name: str  # OpenStack project name, shown in the catalog ("keystone")
    type: str  # catalog service type ("identity")
    prefix: str  # URL prefix on the shared listener ("/identity")
    api_module: str  # module with ``build(runtime) -> ASGI app``
    # Path under the prefix that catalog endpoints point at ("/v3").
    endpoint_path: str = ""
    # The service's own header for the request id, sent besides x-openstack-request-id
    # (Nova's x-compute-request-id: clients read a request's instance action by it).
    request_id_header: str | None = None


# Importing a service package must stay cheap; the registry names them by module path.
SERVICE_PACKAGES: dict[str, str] = {
    "identity": "runtime.identity",
    "image": "runtime.image",
    "compute": "runtime.compute",
    "network": "runtime.network",
}
