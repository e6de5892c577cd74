"""Identity (Keystone v3): users, projects, roles, the catalog and tokens."""

from runtime.common.services import ServiceInfo

SERVICE = ServiceInfo(
    name="keystone",
    type="identity",
    prefix="/identity",
    api_module="runtime.identity.api",
    endpoint_path="/v3",
)
