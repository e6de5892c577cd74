"""/extensions: Nova's deprecated list of API extensions, kept because clients and
Tempest still read it. Every name here is served by the v2.1 API."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import NotFound
from runtime.common.web import ApiRouter, json_response
from runtime.compute.api.common import enforce

router = ApiRouter()

_EXTENSIONS = (
    ("AdminActions", "os-admin-actions", "Enable admin-only server actions."),
    ("AvailabilityZone", "os-availability-zone", "1. Add availability_zone to the Create "
     "Server API. 2. Add availability zones describing."),
    ("Consoles", "os-consoles", "Interactive Console support."),
    ("ConsoleOutput", "os-console-output", "Console log output support."),
    ("ExtendedStatus", "OS-EXT-STS", "Extended Status support."),
    ("FlavorAccess", "os-flavor-access", "Flavor access support."),
    ("FlavorExtraSpecs", "os-flavor-extra-specs", "Flavors extra specs support."),
    ("Hosts", "os-hosts", "Admin-only host administration."),
    ("Hypervisors", "os-hypervisors", "Admin-only hypervisor administration."),
    ("InstanceActions", "os-instance-actions", "View a log of actions and events taken on "
     "an instance."),
    ("Keypairs", "os-keypairs", "Keypair Support."),
    ("Quotas", "os-quota-sets", "Quotas management support."),
    ("Rescue", "os-rescue", "Instance rescue mode."),
    ("ServerGroups", "os-server-groups", "Server group support."),
    ("Services", "os-services", "Services support."),
    ("SimpleTenantUsage", "os-simple-tenant-usage", "Simple tenant usage extension."),
)


def _view(name: str, alias: str, description: str) -> dict[str, Any]:
    return {"name": name, "alias": alias, "description": description, "links": [],
            "namespace": "http://docs.openstack.org/compute/ext/fake_xml",
            "updated": "2014-12-03T00:00:00Z"}


@router.get("/v2.1/extensions")
async def index(request: Request) -> Response:
    enforce(request, "extensions")
    return json_response({"extensions": [_view(*e) for e in _EXTENSIONS]})


@router.get("/v2.1/extensions/{alias}")
async def show(request: Request) -> Response:
    enforce(request, "extensions")
    for entry in _EXTENSIONS:
        if entry[1] == request.path_params["alias"]:
            return json_response({"extension": _view(*entry)})
    raise NotFound("Extension could not be found.")
