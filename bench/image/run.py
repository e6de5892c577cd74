"""bench/image: image upload and download speed against the disk's own dd figures.

Run from the repository root (as root, so that the page cache can be emptied before
each read):

    .venv/bin/python -m bench.image                     # 1 GiB, 2 rounds
    .venv/bin/python -m bench.image --size 4G --rounds 2
    .venv/bin/python -m bench.image --no-cli            # skip the `openstack` CLI

Each round, on the filesystem that holds the image store: dd writes SIZE with
conv=fdatasync and reads it back with a cold cache; then Haneul takes SIZE of random
data by PUT /v2/images/{id}/file (streamed from a file over loopback, the answer comes
after the server's fsync) and gives it back by GET .../file with a cold cache; then the
same through `openstack image create --file` and `openstack image save`. It reports
MB/s (10^6 bytes a second) and the ratio to dd, with the median, min and max over the
rounds, and a PASS/FAIL line for the goal (>= 70 % of dd both ways).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.image.cloud import PASSWORD, BenchCloud, log, token
from bench.image.disk import (
    MIB,
    Rate,
    dd_read,
    dd_write,
    drop_caches,
    evict,
    machine_busy,
    make_source,
)
from bench.image.transfer import Glance, cli, md5_of

GOAL = 0.70


def parse_size(text: str) -> int:
    units = {"K": 1024, "M": MIB, "G": 1024 * MIB}
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    size = int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)
    if size < MIB or size % MIB:
        raise argparse.ArgumentTypeError("the size must be a whole number of MiB")
    return size


def _warm(path: Path) -> None:
    """Read the source once so the client sends from the page cache, not the disk."""
    with path.open("rb") as f:
        while f.read(8 * MIB):
            pass


def one_round(args: argparse.Namespace, glance: Glance, cloud: BenchCloud, source: Path,
              source_md5: str, n: int) -> dict[str, float]:
    size = args.size
    scratch = cloud.state / "dd.bin"
    out: dict[str, float] = {"busy before": machine_busy()}
    try:
        out["dd write"] = dd_write(scratch, size).mb_s
        out["dd read"] = dd_read(scratch, size, cold=True).mb_s
    finally:
        scratch.unlink(missing_ok=True)

    image_id = glance.create(f"bench-{n}")
    _warm(source)
    cpu = cloud.cpu_seconds()
    up = glance.upload(image_id, source)
    out["upload cpu"] = (cloud.cpu_seconds() - cpu) / (size / 2**30)
    shown = glance.call("GET", f"/images/{image_id}")
    if shown["status"] != "active" or shown["checksum"] != source_md5 or shown["size"] != size:
        raise RuntimeError(f"the uploaded image is wrong: {shown}")
    if not drop_caches():
        evict(cloud.store_dir / image_id)
    cpu = cloud.cpu_seconds()
    down, md5 = glance.download(image_id)
    out["download cpu"] = (cloud.cpu_seconds() - cpu) / (size / 2**30)
    if down.size != size or md5 != source_md5:
        raise RuntimeError(f"the download is wrong: {down.size} bytes, Content-MD5 {md5}")
    glance.delete(image_id)
    out["upload"], out["download"] = up.mb_s, down.mb_s

    if args.cli:
        # The CLI's fixed cost (start-up, token, catalog), taken off its figures.
        fixed, _ = cli(cloud.clouds_yaml, "image", "list", "-f", "value", "-c", "ID")
        _warm(source)
        seconds, stdout = cli(cloud.clouds_yaml, "image", "create", "--file", str(source),
                              "--disk-format", "raw", "--container-format", "bare",
                              "-f", "value", "-c", "id", f"bench-cli-{n}")
        cli_id = stdout.strip()
        out["cli create"] = Rate(max(seconds - fixed, 1e-3), size).mb_s
        if not drop_caches():
            evict(cloud.store_dir / cli_id)
        seconds, _ = cli(cloud.clouds_yaml, "image", "save", "--file", os.devnull, cli_id)
        out["cli save"] = Rate(max(seconds - fixed, 1e-3), size).mb_s
        out["cli fixed s"] = fixed
        glance.delete(cli_id)
    out["upload/dd"] = out["upload"] / out["dd write"]
    out["download/dd"] = out["download"] / out["dd read"]
    if args.cli:
        out["cli create/dd"] = out["cli create"] / out["dd write"]
        out["cli save/dd"] = out["cli save"] / out["dd read"]
    log(f"round {n}: " + ", ".join(f"{k} {v:.2f}" for k, v in out.items()))
    return out


ROWS = [("dd write (conv=fdatasync)", "dd write", None),
        ("dd read (cold cache)", "dd read", None),
        ("upload PUT /file", "upload", "upload/dd"),
        ("download GET /file (cold)", "download", "download/dd"),
        ("openstack image create --file", "cli create", "cli create/dd"),
        ("openstack image save", "cli save", "cli save/dd")]


def report(rounds: list[dict[str, float]], args: argparse.Namespace, cold: bool) -> str:
    def stat(key: str) -> tuple[float, float, float]:
        vals = [r[key] for r in rounds]
        return statistics.median(vals), min(vals), max(vals)

    cache = "page cache emptied before reads" if cold else "cache NOT emptied: not root"
    lines = [f"image data, {args.size // MIB} MiB, {len(rounds)} round(s), store under "
             f"{args.dir} ({cache})",
             "",
             f"{'':34} {'MB/s median':>12} {'min':>8} {'max':>8} {'/ dd median':>12} "
             f"{'min':>6} {'max':>6}"]
    for label, key, ratio in ROWS:
        if key not in rounds[0]:
            continue
        med, lo, hi = stat(key)
        row = f"{label:34} {med:12.1f} {lo:8.1f} {hi:8.1f}"
        if ratio:
            rm, rl, rh = stat(ratio)
            row += f" {rm:11.0%} {rl:6.0%} {rh:6.0%}"
        lines.append(row)
    lines.append(f"server CPU seconds per GiB (user + system, all threads): upload "
                 f"{stat('upload cpu')[0]:.2f}, download {stat('download cpu')[0]:.2f} "
                 "(median; 1 s/GiB caps one core at 1074 MB/s)")
    busy = [r["busy before"] for r in rounds]
    lines.append(f"machine busy before the rounds (other work on {os.cpu_count()} CPUs): "
                 + ", ".join(f"{b:.0%}" for b in busy)
                 + ("  <- figures other than dd's are low when this is high" if max(busy) > 0.2
                    else ""))
    if "cli fixed s" in rounds[0]:
        lines.append(f"(CLI figures exclude its fixed cost: start-up and token, "
                     f"{stat('cli fixed s')[0]:.1f} s, measured with `openstack image list`)")
    lines.append("")
    for name, ratio in (("upload", "upload/dd"), ("download", "download/dd")):
        med = stat(ratio)[0]
        lines.append(f"goal {name} >= {GOAL:.0%} of dd: {'PASS' if med >= GOAL else 'FAIL'} "
                     f"({med:.0%} median)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.image", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=parse_size, default=parse_size("1G"),
                   help="bytes per transfer, e.g. 512M, 1G, 4G (default 1G)")
    p.add_argument("--rounds", type=int, default=2,
                   help="rounds of everything, each with its own dd figures (default 2)")
    p.add_argument("--dir", type=Path, default=Path("/var/tmp"),
                   help="where the throw-away cloud's state, its image store and dd's "
                   "scratch file go: the filesystem measured (default /var/tmp)")
    p.add_argument("--workers", type=int, default=1, help="API worker processes")
    p.add_argument("--haneul", type=Path, default=Path(sys.executable).parent / "haneul",
                   help="the haneul executable to serve with (to compare two builds)")
    p.add_argument("--no-cli", dest="cli", action="store_false",
                   help="skip `openstack image create/save`")
    p.add_argument("--keep-state", action="store_true",
                   help="keep the cloud's state directory (logs, database) afterwards")
    p.add_argument("--json", type=Path, help="also write every round's figures here")
    args = p.parse_args(argv)

    cloud = BenchCloud(args.dir, workers=args.workers, haneul=args.haneul)
    cold = drop_caches()
    rounds: list[dict[str, float]] = []
    try:
        cloud.start()
        source = cloud.state / "source.bin"
        log(f"writing {args.size // MIB} MiB of random data to {source}")
        make_source(source, args.size)
        source_md5 = md5_of(source)
        glance = Glance(cloud.url, token(cloud.url, "admin", PASSWORD, "admin"))
        if os.stat(source).st_dev != os.stat(cloud.store_dir).st_dev:
            raise RuntimeError("the scratch files and the image store are not on one filesystem")
        for n in range(args.rounds):
            rounds.append(one_round(args, glance, cloud, source, source_md5, n))
        peak = cloud.peak_rss_mib()
    finally:
        cloud.stop(keep_state=args.keep_state)
    text = report(rounds, args, cold) + f"\nserver peak resident memory: {peak:.0f} MiB"
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"size": args.size, "rounds": rounds}, indent=2) + "\n")
    return 0


