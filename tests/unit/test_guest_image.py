"""The pure parts of the haneul-test guest image builder (runtime/compute/guest_image)."""

from __future__ import annotations

import gzip
import json
import lzma
import shutil
import stat
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.compute.guest_image import (
    banner,
    build,
    config_drive,
    cpio,
    disk,
    elf,
    kernel,
    modules,
    packages,
    rootfs,
)
from runtime.compute.guest_image.modules import KernelModule, ModuleError

# --- ELF -------------------------------------------------------------------------------


def make_elf(sections: dict[str, bytes]) -> bytes:
    """A minimal ELF64 file with the given (PROGBITS) sections and a name table."""
    names = b"\0" + b"".join(name.encode() + b"\0" for name in [*sections, ".shstrtab"])
    body = b"".join(sections.values())
    data_offset = 64
    shstr_offset = data_offset + len(body)
    shoff = shstr_offset + len(names)
    header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack(
        "<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, len(sections) + 2,
        len(sections) + 1)
    shdrs = [struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
    offset = data_offset
    for name, content in sections.items():
        shdrs.append(struct.pack("<IIQQQQIIQQ", names.index(name.encode() + b"\0"), 1, 0, 0,
                                 offset, len(content), 0, 0, 1, 0))
        offset += len(content)
    shdrs.append(struct.pack("<IIQQQQIIQQ", names.index(b".shstrtab\0"), 3, 0, 0,
                             shstr_offset, len(names), 0, 0, 1, 0))
    return header + body + names + b"".join(shdrs)


def test_modinfo_reads_depends_and_softdeps() -> None:
    info = b"license=GPL\0depends=jbd2,mbcache,crc16\0softdep=pre: crypto-crc32c\0alias=fs-ext4\0"
    data = make_elf({".text": b"\x90" * 8, ".modinfo": info})
    parsed = elf.modinfo(data)
    assert parsed["depends"] == ["jbd2,mbcache,crc16"]
    assert parsed["softdep"] == ["pre: crypto-crc32c"]
    assert elf.needed_libraries(data) == []  # no .dynamic: static


def test_elf_rejects_other_files() -> None:
    with pytest.raises(elf.ELFError):
        elf.sections(b"#!/bin/sh\n")
    with pytest.raises(elf.ELFError):
        elf.modinfo(make_elf({".text": b"\x90"}))


def test_needed_libraries_of_a_host_program() -> None:
    program = Path(shutil.which("ls") or "/bin/ls").resolve()
    assert "libc.so.6" in elf.needed_libraries(program.read_bytes())


# --- kernel modules: dependency order --------------------------------------------------


def fake_tree(graph: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
              ) -> Callable[[str], KernelModule]:
    """A module tree as ``name -> (depends, soft pre-dependencies)``."""
    def lookup(name: str) -> KernelModule:
        if name not in graph:
            raise ModuleError(name)
        depends, soft = graph[name]
        return KernelModule(name, Path(f"kernel/{name}.ko"), depends, soft)
    return lookup


def names(order: list[KernelModule]) -> list[str]:
    return [m.name for m in order]


def test_dependencies_load_first_and_once() -> None:
    lookup = fake_tree({
        "virtio_pci": (("virtio_ring", "virtio"), ()),
        "virtio_blk": (("virtio", "virtio_ring"), ()),
        "virtio": ((), ()),
        "virtio_ring": ((), ()),
        "ext4": (("jbd2", "mbcache"), ("crypto_crc32c",)),
        "jbd2": ((), ("crypto_crc32c",)),
        "mbcache": ((), ()),
        "crc32c_generic": ((), ()),
    })
    order = names(modules.load_order(["virtio_pci", "virtio_blk", "ext4"], lookup))
    assert order == ["virtio_ring", "virtio", "virtio_pci", "virtio_blk",
                     "crc32c_generic", "jbd2", "mbcache", "ext4"]


def test_soft_dependencies_are_optional_and_builtins_skipped() -> None:
    lookup = fake_tree({"sd_mod": (("scsi_mod",), ("crct10dif", "nonexistent")),
                        "scsi_mod": ((), ())})
    assert names(modules.load_order(["sd_mod"], lookup)) == ["scsi_mod", "sd_mod"]
    assert names(modules.load_order(["sd_mod"], lookup, frozenset({"scsi_mod"}))) == ["sd_mod"]


def test_missing_hard_dependency_and_cycles_fail() -> None:
    with pytest.raises(ModuleError):
        modules.load_order(["a"], fake_tree({"a": (("b",), ())}))
    with pytest.raises(ModuleError, match="cycle"):
        modules.load_order(["a"], fake_tree({"a": (("b",), ()), "b": (("a",), ())}))


def test_module_names_and_softdep_parsing() -> None:
    assert modules.module_name("kernel/lib/crc-t10dif.ko.xz") == "crc_t10dif"
    assert modules.parse_softdeps(["pre: crc32c foo-bar post: baz"]) == ("crc32c", "foo_bar")
    assert modules.soft_candidates("crypto_crc32c") == ("crypto_crc32c", "crc32c_generic")


def test_resolve_reads_a_module_tree(tmp_path: Path) -> None:
    def ko(rel: str, depends: str, compress: bool = False) -> None:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = make_elf({".modinfo": f"depends={depends}\0".encode()})
        path.write_bytes(lzma.compress(data) if compress else data)

    ko("kernel/drivers/net/virtio_net.ko", "virtio,net_failover")
    ko("kernel/drivers/virtio/virtio.ko", "")
    ko("kernel/drivers/net/net_failover.ko.xz", "failover", compress=True)
    ko("kernel/net/core/failover.ko", "")
    (tmp_path / "modules.builtin").write_text("kernel/drivers/virtio/virtio.ko\n")
    order = modules.resolve(tmp_path, ["virtio_net"])
    assert names(order) == ["failover", "net_failover", "virtio_net"]
    assert elf.modinfo(modules.read_ko(order[1].path))["depends"] == ["failover"]


def test_root_modules_are_guest_modules() -> None:
    assert set(modules.ROOT_MODULES) <= set(modules.GUEST_MODULES)
    assert {"virtio_pci", "virtio_blk", "virtio_net", "ext4", "e1000", "button", "evdev",
            "isofs"} <= set(modules.GUEST_MODULES)


# --- initramfs, kernel, disk --------------------------------------------------------------


def test_cpio_round_trip_with_a_device_node(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/busybox").write_bytes(b"\x7fELF" + b"x" * 13)
    (tmp_path / "bin/busybox").chmod(0o755)
    (tmp_path / "bin/sh").symlink_to("busybox")
    entries = [*cpio.tree_entries(tmp_path), cpio.char_device("dev/console", 5, 1)]
    archive = cpio.encode(entries)
    assert len(archive) % 4 == 0
    decoded = {e.name: e for e in cpio.decode(archive)}
    assert list(decoded) == ["bin", "bin/busybox", "bin/sh", "dev/console"]
    assert decoded["bin/busybox"].data == b"\x7fELF" + b"x" * 13
    assert stat.S_IMODE(decoded["bin/busybox"].mode) == 0o755
    assert stat.S_ISLNK(decoded["bin/sh"].mode) and decoded["bin/sh"].data == b"busybox"
    assert stat.S_ISCHR(decoded["dev/console"].mode) and decoded["dev/console"].rdev == (5, 1)


def test_extract_vmlinux_finds_the_elf_stream() -> None:
    payload = b"\x7fELF" + bytes(range(256)) * 64
    decoy = kernel.XZ_MAGIC + b"not really xz"
    bzimage = b"MZ" + b"\0" * 500 + decoy + lzma.compress(payload) + b"\0" * 4096
    assert kernel.extract_vmlinux(bzimage) == payload
    with pytest.raises(kernel.KernelError):
        kernel.extract_vmlinux(b"MZ" + lzma.compress(b"not an elf"))


def test_write_sparse_keeps_content(tmp_path: Path) -> None:
    data = b"a" * 10 + bytes(1 << 18) + b"b" * 7
    build.write_sparse(tmp_path / "f", data, block=4096)
    assert (tmp_path / "f").read_bytes() == data


def test_partition_table_is_one_bootable_linux_partition() -> None:
    size = 128 << 20
    table = disk.partition_table(size)
    assert len(table) == 72 and table[-2:] == b"\x55\xaa"
    entry = table[6:22]
    assert entry[0] == 0x80 and entry[4] == 0x83
    first, count = struct.unpack("<II", entry[8:16])
    assert first == 2048 and first + count == size // 512
    assert table[22:70] == bytes(48)  # the other three entries are empty


# --- packages, recipe -----------------------------------------------------------------------


def test_kernel_package_from_apt_cache() -> None:
    out = "linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n"
    assert packages.kernel_package_from_depends(out) == "linux-image-6.1.0-56-amd64"
    assert packages.kernel_version("linux-image-6.1.0-56-amd64") == "6.1.0-56-amd64"
    with pytest.raises(packages.PackageError):
        packages.kernel_package_from_depends("linux-image-amd64\n")
    debs = [Path("busybox-static_1%3a1.35.0-4_amd64.deb"), Path("libc6_2.36-9_amd64.deb")]
    assert packages.package_versions(debs) == {"busybox-static": "1:1.35.0-4",
                                               "libc6": "2.36-9"}


def test_recipe_depends_on_kernel_and_cache_needs_a_manifest(tmp_path: Path) -> None:
    one = build.recipe_hash("linux-image-6.1.0-56-amd64")
    assert one == build.recipe_hash("linux-image-6.1.0-56-amd64")
    assert one != build.recipe_hash("linux-image-6.1.0-57-amd64")
    assert build.cached(tmp_path) is None
    for name in ("haneul-test.qcow2", "haneul-test.vmlinux", "haneul-test.initrd"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "haneul-test.json").write_text(json.dumps({"recipe": one, "cmdline": "quiet"}))
    image = build.cached(tmp_path, one)
    assert image is not None and image.cmdline == "quiet"
    assert image.disk_cmdline == "root=LABEL=haneul-root quiet"
    assert build.cached(tmp_path, "other") is None


def test_initrd_is_a_gzipped_cpio(tmp_path: Path) -> None:
    (tmp_path / "init").write_text("#!/bin/sh\n")
    members = [e.name for e in cpio.decode(gzip.decompress(build.make_initrd(tmp_path)))]
    assert members == ["init", "dev/console"]
    assert build.make_initrd(tmp_path) == build.make_initrd(tmp_path)  # reproducible


def test_every_asset_is_installed_or_templated() -> None:
    assert set(rootfs.asset_names()) == set(rootfs.ASSETS) | {"extlinux.conf"}


# --- banner ---------------------------------------------------------------------------------


def test_banner_round_trip() -> None:
    line = banner.format_banner("6f1c3c7e-1111", "web-1", ["10.0.0.5", "2001:db8::5"])
    assert line == ("haneul-test login: instance-id=6f1c3c7e-1111 hostname=web-1 "
                    "addresses=10.0.0.5,2001:db8::5")
    assert banner.parse_banner(line) == banner.Banner("6f1c3c7e-1111", "web-1",
                                                       ("10.0.0.5", "2001:db8::5"))
    empty = banner.format_banner(None, "haneul-test", [])
    assert empty.endswith("instance-id=none hostname=haneul-test addresses=none")
    assert banner.parse_banner(empty) == banner.Banner(None, "haneul-test", ())


def test_find_banner_takes_the_last_boot() -> None:
    log = "\n".join([
        "[    1.0] kernel noise",
        banner.format_banner("first", "a", ["10.0.0.1"]),
        "haneul-test login: ",  # the getty prompt is no banner
        banner.format_banner("second", "b", []),
    ])
    found = banner.find_banner(log)
    assert found is not None and found.instance_id == "second"
    assert banner.find_banner("probe login:") is None


def test_guest_prints_the_banner_python_parses() -> None:
    """rcS builds the line in shell: it must keep the format banner.py reads."""
    rcs = rootfs.asset_text("rcS")
    expected = ('echo "haneul-test login: instance-id=${instance_id:-none} hostname=$(hostname) '
                'addresses=${addresses:-none}"')
    assert expected in rcs
    assert banner.PREFIX == "haneul-test login:" and banner.NONE == "none"


# --- the guest's JSON flattener (assets/json.awk), run with the host's awk ------------------


@pytest.mark.skipif(shutil.which("awk") is None, reason="no awk on this host")
def test_json_awk_flattens_metadata(tmp_path: Path) -> None:
    doc = {"uuid": "u-1", "hostname": "h.example", "public_keys": {"k": "ssh-ed25519 AAA c@d"},
           "keys": [{"name": "k", "type": "ssh", "data": "ssh-ed25519 AAA c@d"}],
           "launch_index": 0, "meta": {}, "esc": "a\"b\\c/d\u00e9\nx"}
    script = tmp_path / "json.awk"
    script.write_text(rootfs.asset_text("json.awk"))
    src = tmp_path / "meta_data.json"
    src.write_text(json.dumps(doc, indent=2))
    out = subprocess.run(["awk", "-f", str(script), str(src)], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines() == [
        "/uuid\tu-1", "/hostname\th.example", "/public_keys/k\tssh-ed25519 AAA c@d",
        "/keys/0/name\tk", "/keys/0/type\tssh", "/keys/0/data\tssh-ed25519 AAA c@d",
        "/launch_index\t0", '/esc\ta"b\\c/d? x',
    ]
    src.write_text('{"a": [1,')
    bad = subprocess.run(["awk", "-f", str(script), str(src)], capture_output=True, check=False)
    assert bad.returncode == 1


# --- config drive -----------------------------------------------------------------------------

METADATA = {"uuid": "83679162-1378-4288-a2d4-70e13ec132aa", "hostname": "probe.novalocal",
            "name": "probe", "public_keys": {"mykey": "ssh-ed25519 AAAAC3Nz test@haneul"}}


def test_config_drive_files() -> None:
    files = config_drive.config_drive_files(METADATA, "#!/bin/sh\necho hi\n",
                                            {"links": [], "networks": [], "services": []})
    meta = json.loads(files["openstack/latest/meta_data.json"])
    assert meta["uuid"] == METADATA["uuid"]
    assert meta["keys"] == [{"name": "mykey", "type": "ssh",
                             "data": "ssh-ed25519 AAAAC3Nz test@haneul"}]
    assert files["openstack/latest/user_data"] == b"#!/bin/sh\necho hi\n"
    assert files["ec2/latest/user-data"] == b"#!/bin/sh\necho hi\n"
    assert "openstack/2012-08-10/meta_data.json" in files
    assert json.loads(files["openstack/latest/network_data.json"])["links"] == []
    ec2 = json.loads(files["ec2/latest/meta-data.json"])
    assert ec2["instance-id"] == METADATA["uuid"]
    assert ec2["public-keys"]["0"]["openssh-key"] == "ssh-ed25519 AAAAC3Nz test@haneul"
    no_user_data = config_drive.config_drive_files(METADATA)
    assert not any(p.endswith(("user_data", "user-data")) for p in no_user_data)


@pytest.mark.skipif(shutil.which("isoinfo") is None
                    or not (shutil.which("genisoimage") or shutil.which("xorriso")),
                    reason="needs genisoimage (or xorriso) and isoinfo")
def test_config_drive_iso_reads_back(tmp_path: Path) -> None:
    iso = config_drive.build_config_drive(tmp_path / "cd.iso", METADATA, b"#!/bin/sh\n")
    info = subprocess.run(["isoinfo", "-d", "-i", str(iso)], capture_output=True, text=True,
                          check=True).stdout
    assert "Volume id: config-2" in info
    listing = subprocess.run(["isoinfo", "-R", "-f", "-i", str(iso)], capture_output=True,
                             text=True, check=True).stdout.split()
    assert "/openstack/latest/meta_data.json" in listing
    assert "/openstack/latest/user_data" in listing
    assert "/openstack/latest/network_data.json" in listing
    content = subprocess.run(["isoinfo", "-R", "-i", str(iso), "-x",
                              "/openstack/latest/meta_data.json"],
                             capture_output=True, check=True).stdout
    assert json.loads(content)["hostname"] == "probe.novalocal"
