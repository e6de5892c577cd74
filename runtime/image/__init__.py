"""Image (Glance v2): images, their data in pluggable stores, members, tags and import."""

from runtime.common.services import ServiceInfo

SERVICE = ServiceInfo(
    name="glance",
    type="image",
    prefix="/image",
    api_module="runtime.image.api",
    # Glance's catalog endpoint is unversioned: clients discover /v2 themselves.
    endpoint_path="",
)
