"""Compute (Nova v2.1): flavors, key pairs, servers and their actions, the scheduler,
and the compute agent that runs servers on libvirt. ``guest_image`` builds the test guest."""

from runtime.common.services import ServiceInfo

SERVICE = ServiceInfo(
    name="nova",
    type="compute",
    prefix="/compute",
    api_module="runtime.compute.api",
    endpoint_path="/v2.1",
    request_id_header="x-compute-request-id",
)
