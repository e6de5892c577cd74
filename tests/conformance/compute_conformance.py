"""Tempest's compute tests against a fresh Haneul with real guests, in one command.

    .venv/bin/python tests/conformance/compute_conformance.py [--driver libvirt|fake]
        [--dir DIR] [-- RUN_TEMPEST_ARGS...]

Starts libvirtd and virtlogd when none answers (stopped again by PID), serves identity,
image, compute and network from DIR (default /tmp/haneul-compute-conformance, wiped
first) with a compute agent on this host, uploads haneul-test twice (Tempest's image_ref and
image_ref_alt; kernel and ramdisk shared), makes two small flavors and DevStack's
networks (a shared ``private`` one for Tempest's servers, an external ``public`` one
and a router between them), writes the
tempest.conf options below and runs run_tempest.py --service compute against the gate
compute.txt (pass --update after -- to grow it). Everything started is stopped by PID.

--driver fake runs the same API with no guests: quick for API work, never the gate.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.support import ADMIN_PASSWORD, BIN, running_cloud, wait_for  # noqa: E402

# [compute-feature-enabled]: what Haneul's compute does, and does not do yet.
FEATURES = {
    "console_output": "True", "pause": "True", "suspend": "True", "rescue": "True",
    "resize": "True", "snapshot": "True", "config_drive": "True",
    "hostname_fqdn_sanitization": "True",
    # Serial consoles work (tests/e2e/compute); Tempest uses them only when live
    # migrating, which Haneul does not do yet.
    "serial_console": "False",
    "change_password": "False", "interface_attach": "False", "shelve": "False",
    "shelve_migrate": "False", "live_migration": "False", "cold_migration": "False",
    "vnc_console": "False", "spice_console": "False", "personality": "False",
    "metadata_service": "False", "volume_multiattach": "False",
    "block_migration_for_live_migration": "False", "attach_encrypted_volume": "False",
    "volume_backed_live_migration": "False", "unified_limits": "False",
    "stable_rescue": "False",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--driver", choices=("libvirt", "fake"), default="libvirt")
    p.add_argument("--dir", type=Path, default=Path("/tmp/haneul-compute-conformance"))
    p.add_argument("rest", nargs="*", help="arguments for run_tempest.py (after --)")
    args = p.parse_args(argv)
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    daemons = None
    if args.driver == "libvirt":
        from tests.e2e.compute import daemons as libvirt_daemons

        missing = libvirt_daemons.missing_tools()
        if missing:
            print(f"missing: {', '.join(missing)}", file=sys.stderr)
            return 2
        daemons = libvirt_daemons.start()
    extra = (f'[compute]\ndriver = "{args.driver}"\nhost = "conformance"\n'
             f'instances_dir = "{args.dir / "instances"}"\n'
             # Tempest's projects may hold many small servers on this one host.
             "cpu_allocation_ratio = 64.0\nram_allocation_ratio = 4.0\n")
    try:
        with running_cloud(args.dir / "cloud", extra,
                           services=("identity", "image", "compute", "network")) as cloud:
            agent = subprocess.Popen([str(BIN / "haneul"), "agent", "compute", "--config",
                                      str(cloud.config)],
                                     stdout=(args.dir / "agent.log").open("ab"),
                                     stderr=subprocess.STDOUT)
            try:
                return _run(cloud, args)
            finally:
                agent.send_signal(signal.SIGTERM)
                agent.wait(60)
    finally:
        if daemons is not None:
            daemons.stop()


def _run(cloud: object, args: argparse.Namespace) -> int:
    from runtime.compute.guest_image.build import build
    from tests.e2e.compute.conftest import upload_test_image
    from tests.support import Cloud

    assert isinstance(cloud, Cloud)
    conn = cloud.sdk()
    wait_for(lambda: any(True for _ in conn.compute.services()), 60, "the compute agent")
    image = build()
    first = upload_test_image(conn, image)
    disk = conn.image.get_image(first)
    second = conn.image.create_image(
        name="haneul-test-alt", filename=str(image.qcow2), disk_format="qcow2",
        container_format="bare", wait=True, kernel_id=disk.kernel_id,
        ramdisk_id=disk.ramdisk_id, os_command_line=image.disk_cmdline).id
    for image_id in (first, second):
        conn.image.update_image(image_id, visibility="public")
    # Keystone's bootstrap makes these two roles; Tempest's RBAC personas need them.
    for role in ("manager", "service"):
        if conn.identity.find_role(role) is None:
            conn.identity.create_role(name=role)
    networks = _networks(conn)
    small = conn.compute.create_flavor(name="tempest-1", ram=256, vcpus=1, disk=1)
    alt = conn.compute.create_flavor(name="tempest-2", ram=384, vcpus=1, disk=2)
    sets = {"compute.image_ref": first, "compute.image_ref_alt": second,
            "compute.flavor_ref": small.id, "compute.flavor_ref_alt": alt.id,
            "compute.min_microversion": "2.1", "compute.max_microversion": "2.96",
            "compute.build_timeout": "120", "service_available.glance": "True",
            # Servers get ports from the network service (no network agent runs here,
            # so ports stay DOWN: interface_attach, which waits for ACTIVE, stays off).
            "service_available.neutron": "True", **networks,
            **{f"compute-feature-enabled.{k}": v for k, v in FEATURES.items()}}
    argv = [sys.executable, str(HERE / "run_tempest.py"), "--service", "compute",
            "--auth-url", cloud.auth_url, "--password", ADMIN_PASSWORD,
            "--workspace", str(args.dir / "workspace")]
    for key, value in sets.items():
        argv += ["--set", f"{key}={value}"]
    try:
        return subprocess.run(argv + list(args.rest), check=False).returncode
    finally:
        if args.driver == "libvirt":
            _remove_bridges(conn)


def _remove_bridges(conn: Any) -> None:
    """No network agent runs here, so the compute agent made a bridge for each network
    its guests used (``brq<network id[:11]>``): they go with the cloud."""
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        for net in conn.network.networks():
            for index in ipr.link_lookup(ifname="brq" + net.id[:11]):
                ipr.link("del", index=index)


def _networks(conn: Any) -> dict[str, str]:
    """DevStack's networks: a shared ``private`` one every Tempest server is put on,
    and an external ``public`` one for floating IPs, joined by a router."""
    public = conn.network.create_network(name="public", is_router_external=True)
    conn.network.create_subnet(network_id=public.id, name="public-subnet", ip_version=4,
                               cidr="172.24.4.0/24")
    private = conn.network.create_network(name="private", is_shared=True)
    subnet = conn.network.create_subnet(network_id=private.id, name="private-subnet",
                                        ip_version=4, cidr="10.0.0.0/20")
    router = conn.network.create_router(name="router1",
                                        external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    return {"compute.fixed_network_name": "private", "network.public_network_id": public.id,
            "network.floating_network_name": "public"}


if __name__ == "__main__":
    sys.exit(main())
