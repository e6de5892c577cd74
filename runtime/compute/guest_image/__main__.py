"""``python -m runtime.compute.guest_image build [--output DIR] [--force]`` builds the
image; ``... upload [--output DIR]`` builds it if needed and uploads it into the cloud
named by the OS_* variables (printing "present" or "uploaded")."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime.compute.guest_image",
                                     description="The haneul-test guest image.")
    sub = parser.add_subparsers(dest="command", required=True)
    build_cmd = sub.add_parser("build", help="build the image (or reuse an up-to-date one)")
    build_cmd.add_argument("--force", action="store_true", help="rebuild even if up to date")
    upload_cmd = sub.add_parser("upload", help="upload it as haneul-test unless present")
    upload_cmd.add_argument("--visibility", default="public")
    for cmd in (build_cmd, upload_cmd):
        cmd.add_argument("--output", type=Path, default=None,
                         help="directory for the image (default: ~/.cache/haneul/images)")
    args = parser.parse_args(argv)

    from runtime.compute.guest_image.build import BuildError, build
    from runtime.compute.guest_image.disk import DiskError
    from runtime.compute.guest_image.packages import PackageError
    from runtime.compute.guest_image.upload import UploadError, upload

    try:
        image = build(args.output, force=getattr(args, "force", False))
        if args.command == "upload":
            print(upload(image, args.visibility))
            return 0
    except (BuildError, DiskError, PackageError, UploadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in (image.qcow2, image.vmlinux, image.initrd):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
