"""``python -m runtime.compute.guest_image build [--output DIR] [--force]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime.compute.guest_image",
                                     description="The haneul-test guest image.")
    sub = parser.add_subparsers(dest="command", required=True)
    build_cmd = sub.add_parser("build", help="build the image (or reuse an up-to-date one)")
    build_cmd.add_argument("--output", type=Path, default=None,
                           help="directory for the image (default: ~/.cache/haneul/images)")
    build_cmd.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)

    from runtime.compute.guest_image.build import BuildError, build
    from runtime.compute.guest_image.disk import DiskError
    from runtime.compute.guest_image.packages import PackageError

    try:
        image = build(args.output, force=args.force)
    except (BuildError, DiskError, PackageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in (image.qcow2, image.vmlinux, image.initrd):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
