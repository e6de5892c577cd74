"""The `haneul` wheel that deployments install, built from this checkout.

It is built once per distinct source: the file name carries a digest of the sources, so
a re-deploy of unchanged code copies and installs nothing (changed=0), and a changed
checkout gets a new wheel everywhere.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("haneul", "runtime", "installer", "tui")
SKIP_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


@dataclass(frozen=True)
class Wheel:
    path: Path
    digest: str  # 16 hex digits of the sources' sha256


def source_digest(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    files = [root / "pyproject.toml"]
    for package in PACKAGES:
        files += [p for p in (root / package).rglob("*")
                  if p.is_file() and not SKIP_PARTS.intersection(p.parts)
                  and p.suffix not in (".pyc", ".pyo")]
    for path in sorted(files):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def build_wheel(cache: Path, root: Path = ROOT) -> Wheel:
    digest = source_digest(root)
    target = cache / digest
    built = sorted(target.glob("haneul-*.whl")) if target.is_dir() else []
    if built:
        return Wheel(built[0], digest)
    with tempfile.TemporaryDirectory(prefix="haneul-wheel-") as tmp:
        # --no-build-isolation: setuptools comes from this environment, so building
        # needs no index (deploy hosts may have none).
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                               "--no-build-isolation", "-q", "-w", tmp, str(root)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            # pip's own words, without its index warnings: what the operator must fix.
            said = [line for line in done.stderr.splitlines()
                    if line.strip() and not line.startswith("WARNING: Location")]
            raise RuntimeError(f"building the haneul wheel from {root} failed:\n"
                               + "\n".join(said[-15:]))
        wheel = next(Path(tmp).glob("haneul-*.whl"))
        target.mkdir(parents=True, exist_ok=True)
        final = target / wheel.name
        shutil.move(str(wheel), final)
    return Wheel(final, digest)
