"""/v2.0/extensions: exactly the API extensions this service implements."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from runtime.common.web import ApiRouter, json_response
from runtime.network.api.common import V2, caller
from runtime.network.errors import NotFound

router = ApiRouter()

UPDATED = "2025-01-01T00:00:00-00:00"
# alias -> (name, description)
EXTENSIONS: dict[str, tuple[str, str]] = {
    "agent": ("agent", "The agent management extension."),
    "allowed-address-pairs": ("Allowed Address Pairs",
                              "Provides allowed address pairs"),
    "auto-allocated-topology": ("Auto Allocated Topology Services",
                                "Auto Allocated Topology Services."),
    "availability_zone": ("Availability Zone", "The availability zone extension."),
    "binding": ("Port Binding", "Expose port bindings of a virtual port to external "
                "application"),
    "external-net": ("Neutron external network", "Adds external network attribute to "
                     "network resource."),
    "ext-gw-mode": ("Neutron L3 Configurable external gateway mode",
                    "Extension of the router abstraction for specifying whether SNAT "
                    "should occur on the external gateway"),
    "extra_dhcp_opt": ("Neutron Extra DHCP options", "Extra options configuration for "
                       "DHCP. For example PXE boot options to DHCP clients can be specified "
                       "(e.g. tftp-server, server-ip-address, bootfile-name)"),
    "extraroute": ("Neutron Extra Route", "Extra routes configuration for L3 router"),
    "ip-substring-filtering": ("IP address substring filtering", "Provides IP address "
                               "substring filtering when listing ports"),
    "net-mtu": ("Network MTU", "Provides MTU attribute for a network resource."),
    "network_availability_zone": ("Network Availability Zone",
                                  "Availability zone support for network."),
    "pagination": ("Pagination support", "Extension that indicates that pagination is "
                   "enabled."),
    "port-security": ("Port Security", "Provides port security"),
    "project-id": ("project_id field enabled", "Extension that indicates that project_id "
                   "field is enabled."),
    "provider": ("Provider Network", "Expose mapping of virtual networks to physical "
                 "networks"),
    "quotas": ("Quota management support", "Expose functions for quotas management per "
               "tenant"),
    "quota-check-limit": ("Quota engine limit check", "Support for checking the resource "
                          "usage before applying a new quota limit"),
    "quota_details": ("Quota details management support", "Expose functions for quotas "
                      "usage statistics per project"),
    "revision-if-match": ("If-Match constraints based on revision_number",
                          "Extension indicating that If-Match based on revision_number is "
                          "supported."),
    "router": ("Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 "
               "Neutron networks and access to external networks via a NAT gateway."),
    "router_availability_zone": ("Router Availability Zone",
                                 "Availability zone support for router."),
    "security-group": ("security-group", "The security groups extension."),
    "service-type": ("Neutron Service Type Management", "API for retrieving service "
                     "providers for Neutron advanced services"),
    "sorting": ("Sorting support", "Extension that indicates that sorting is enabled."),
    "standard-attr-description": ("standard-attr-description", "Extension to add "
                                  "descriptions to standard attributes"),
    "standard-attr-revisions": ("Resource revision numbers", "This extension will display "
                                "the revision number of neutron resources."),
    "standard-attr-tag": ("Tag support for resources with standard attribute: subnet, "
                          "trunk, network_segment_range, router, network, policy, "
                          "subnetpool, port, security_group, floatingip",
                          "Enables to set tag on resources with standard attribute."),
    "tag": ("Tag support", "Enables to set tag on resources."),
    "tag-ext": ("Tag support for resources: subnet, subnetpool, port, router",
                "Extends tag support to more L2 and L3 resources."),
    "standard-attr-timestamp": ("Resource timestamps", "Adds created_at and updated_at "
                                "fields to all Neutron resources that have Neutron standard "
                                "attributes."),
    "subnet_allocation": ("Subnet Allocation", "Enables allocation of subnets from a subnet "
                          "pool"),
}


def _view(alias: str) -> dict[str, object]:
    name, description = EXTENSIONS[alias]
    return {"alias": alias, "name": name, "description": description, "updated": UPDATED,
            "links": []}


@router.get(V2 + "/extensions")
async def index(request: Request) -> Response:
    caller(request)
    return json_response({"extensions": [_view(a) for a in sorted(EXTENSIONS)]})


@router.get(V2 + "/extensions/{alias}")
async def show(request: Request) -> Response:
    caller(request)
    alias = request.path_params["alias"]
    if alias not in EXTENSIONS:
        raise NotFound(f"Extension with alias {alias} does not exist")
    return json_response({"extension": _view(alias)})
