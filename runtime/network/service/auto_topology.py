"""Neutron's "get me a network" (the ``auto-allocated-topology`` extension).

The first ask for a project builds, in one transaction, a private network with a subnet
from each default subnet pool, and a router with its gateway on the default external
network and an interface on each subnet; later asks return the same network. The
record (project -> network, router) is what makes it "the" topology of the project.

Neutron reports unmet requirements as ``AutoAllocationFailure``, a 409: Nova catches
exactly that Conflict to answer its own 400.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runtime.common import policy
from runtime.common.context import Context
from runtime.network import models as m
from runtime.network import schemas
from runtime.network.errors import BadRequest, Conflict, Forbidden, NeutronError, NotFound
from runtime.network.service import networks, routers, subnets
from runtime.network.service.core import Network

DRY_RUN = "dry-run"
NETWORK_NAME = "auto_allocated_network"
ROUTER_NAME = "auto_allocated_router"

# Neutron's default policy: showing (and so building) needs a reader of the project,
# deleting a member; admins may do both for any project.
_may_get = policy.any_of(policy.admin, policy.project_member(policy.READER))
_may_delete = policy.any_of(policy.admin, policy.project_member(policy.MEMBER))


def failure(reason: str) -> Conflict:
    return Conflict(f"Deployment error: {reason}.", type="AutoAllocationFailure")


def view(network_id: str, project_id: str) -> dict[str, Any]:
    return {"id": network_id, "tenant_id": project_id, "project_id": project_id}


def project_for(ctx: Context, project_id: str) -> str:
    """The project whose topology the caller may see (and so have built)."""
    return _project(ctx, project_id, _may_get)


def _project(ctx: Context, project_id: str, rule: policy.Rule) -> str:
    """The project the topology is for. Neutron's plugin refuses anyone but an admin
    asking for another project with a plain 403 before any policy check."""
    if project_id == "None":  # some clients send no project: the caller's is meant
        project_id = ctx.project_id or ""
    if not ctx.is_admin and project_id != ctx.project_id:
        raise Forbidden("Not authorized.", type="NotAuthorized")
    if not rule(ctx, {"project_id": project_id}):
        raise Forbidden("Not authorized.", type="NotAuthorized")
    return project_id


def default_pools(s: Session) -> list[m.SubnetPool]:
    """The default subnet pool of each IP version that has one, IPv4 first."""
    found = []
    for version in (4, 6):
        pool = s.scalar(select(m.SubnetPool).where(
            m.SubnetPool.is_default.is_(True), m.SubnetPool.ip_version == version)
            .order_by(m.SubnetPool.created_at, m.SubnetPool.id).limit(1))
        if pool is not None:
            found.append(pool)
    return found


def _requirements(s: Session) -> tuple[m.Network, list[m.SubnetPool]]:
    """The default external network and pools, or Neutron's deployment errors."""
    external = networks.default_external(s)
    if external is None:
        raise failure("No default router:external network")
    pools = default_pools(s)
    if not pools:
        raise failure("No default subnetpools defined")
    return external, pools


def _recorded(s: Session, project_id: str) -> m.AutoAllocatedTopology | None:
    return s.get(m.AutoAllocatedTopology, project_id)


def show(svc: Network, ctx: Context, project_id: str, fields: list[str]) -> dict[str, Any]:
    """GET /auto-allocated-topology/{project}: the project's network, built on the first
    call; with ``fields=dry-run`` only the check that it could be built."""
    project = project_for(ctx, project_id)
    if DRY_RUN in fields:
        with svc.read() as s:
            _requirements(s)
        return view("dry-run=pass", project)
    if fields:
        raise BadRequest("Bad auto_allocate request: Unrecognized field.", type="BadRequest")
    return view(network_for(svc, ctx, project), project)


def network_for(svc: Network, ctx: Context, project: str) -> str:
    """The id of the project's auto-allocated network, built if there is none yet."""
    with svc.read() as s:
        found = _recorded(s, project)
        if found is not None:
            return found.network_id
    try:
        with svc.write() as s:
            # Again under the write lock: a concurrent first call may have built it.
            found = _recorded(s, project)
            if found is not None:
                return found.network_id
            return _build(svc, s, ctx, project)
    except IntegrityError:
        # Another API process recorded one first (our transaction is rolled back).
        with svc.read() as s:
            found = _recorded(s, project)
            if found is None:
                raise
            return found.network_id


def _build(svc: Network, s: Session, ctx: Context, project: str) -> str:
    """Network, subnets, router, gateway and interfaces, then the record. Any error
    rolls the whole transaction back: nothing half-built is left to clean up."""
    external, pools = _requirements(s)
    try:
        net = networks.create(svc, s, ctx, schemas.validate("network", {
            "name": NETWORK_NAME, "project_id": project}, create=True))
        made = []
        for pool in pools:
            # The pool is the deployment's default: asked for as such, it needs not be
            # visible to the project (as Neutron's own lookup of the default ignores it).
            made.append(subnets.create(svc, s, ctx, schemas.validate("subnet", {
                "name": f"auto_allocated_subnet_v{pool.ip_version}", "network_id": net.id,
                "ip_version": pool.ip_version, "use_default_subnetpool": True,
                "project_id": project}, create=True)))
    except (BadRequest, NotFound) as err:
        raise failure("Unable to provide tenant private network") from err
    except NeutronError as err:
        if err.type == "SubnetAllocationError":  # the pool is full
            raise failure("Unable to provide tenant private network") from err
        raise
    try:
        router = routers.create(svc, s, ctx, schemas.validate("router", {
            "name": ROUTER_NAME, "project_id": project,
            "external_gateway_info": {"network_id": external.id}}, create=True))
        for sub in made:
            routers.add_interface(svc, s, ctx, router, {"subnet_id": sub.id})
    except BadRequest as err:
        raise failure("Unable to provide external connectivity") from err
    s.add(m.AutoAllocatedTopology(project_id=project, network_id=net.id,
                                  router_id=router.id))
    s.flush()
    return net.id


def delete(svc: Network, ctx: Context, project_id: str) -> None:
    """DELETE /auto-allocated-topology/{project}: the router's interfaces, the router,
    the network with its subnets, and the record; 404 when there is none."""
    project = _project(ctx, project_id, _may_delete)
    with svc.write() as s:
        found = _recorded(s, project)
        if found is None:
            raise NotFound(f"Auto allocated topology for project {project} could not be "
                           "found.", type="HTTPNotFound")
        network_id, router_id = found.network_id, found.router_id
        # The record goes first: the network's deletion would cascade to it under the
        # session's feet.
        s.delete(found)
        s.flush()
        net = networks.get(s, ctx, network_id)
        if router_id is not None:
            router = routers.get(s, ctx, router_id)
            for subnet_id in s.scalars(select(m.Subnet.id)
                                       .where(m.Subnet.network_id == net.id)):
                # The project may have unplugged one itself: nothing to remove then.
                with suppress(NotFound):
                    routers.remove_interface(s, ctx, router, {"subnet_id": subnet_id})
            s.flush()
            routers.delete(s, ctx, router)
            s.flush()
        networks.delete(s, ctx, net)
