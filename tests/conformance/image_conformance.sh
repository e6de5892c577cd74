#!/usr/bin/env bash
# Tempest's image tests against a fresh Haneul, in one command.
#
#   tests/conformance/image_conformance.sh [--dir DIR] [--port PORT] [--http-port PORT]
#       [-- RUN_TEMPEST_ARGS...]
#
# Creates DIR (default /tmp/haneul-image-conformance; wiped first), writes a
# haneul.toml serving identity and image on 127.0.0.1:PORT (default 5088) with
# two weighted filesystem stores and format enforcement off (see README.md,
# "Image"), bootstraps it, starts `haneul serve` and a static HTTP server on
# 127.0.0.1:HTTP_PORT (default 8765) holding a small qcow2 for web-download,
# runs run_tempest.py --service image with the matching tempest.conf options
# (extra arguments after -- are passed on, e.g. --update), then stops the two
# processes it started (by their recorded PIDs) and exits with run_tempest's
# status.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=/tmp/haneul-image-conformance
port=5088
http_port=8765
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --http-port) http_port=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
bin=$repo/.venv/bin
[ -x "$bin/haneul" ] || bin=$(dirname "$(command -v haneul)")
password=conformance-secret

rm -rf "$dir"
mkdir -p "$dir/www"
cat > "$dir/haneul.toml" <<CONF
state_dir = "$dir"
[server]
host = "127.0.0.1"
port = $port
[identity]
bcrypt_rounds = 10
[image]
# Tempest's list tests upload random bytes as qcow2, vhd, ami...: they run only
# against a cloud that does not inspect formats (image_format_enforcement=False).
require_image_format_match = false
web_download_allowed_ports = [80, 443, $http_port]
[image.stores.file]
weight = 50
[image.stores.cheap]
description = "Second filesystem store"
weight = 100
CONF
# An empty 64 MiB qcow2 for web-download, written without qemu-img: header, refcount
# table and block (4 clusters in use), empty L1 table.
"$bin/python" - "$dir/www/test.qcow2" <<'PY'
import struct, sys
img = bytearray(0x40000)
head = b"QFI\xfb" + struct.pack(">IQIIQIIQQIIQ", 3, 0, 0, 16, 64 << 20, 0, 1, 0x30000,
                                0x10000, 1, 0, 0)
head = head.ljust(72, b"\0") + struct.pack(">QQQII", 0, 0, 0, 4, 104)
img[:len(head)] = head
struct.pack_into(">Q", img, 0x10000, 0x20000)
struct.pack_into(">4H", img, 0x20000, 1, 1, 1, 1)
open(sys.argv[1], "wb").write(img)
PY

"$bin/haneul" bootstrap --config "$dir/haneul.toml" --password "$password" --no-clouds-yaml
"$bin/haneul" serve --config "$dir/haneul.toml" > "$dir/serve.log" 2>&1 &
serve_pid=$!
python3 -m http.server --bind 127.0.0.1 --directory "$dir/www" "$http_port" \
    > "$dir/http.log" 2>&1 &
http_pid=$!
cleanup() {
    kill "$serve_pid" "$http_pid" 2>/dev/null || true
    wait "$serve_pid" "$http_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/identity/v3" && break
    sleep 0.2
done

url=http://127.0.0.1:$http_port/test.qcow2
set +e
python3 "$here/run_tempest.py" --auth-url "http://127.0.0.1:$port/identity/v3" \
    --password "$password" --service image --workspace "$dir/workspace" \
    --set image-feature-enabled.image_format_enforcement=False \
    --set image-feature-enabled.store_weight_enabled=True \
    --set "image.http_qcow2_image=$url" --set "image.http_image=$url" "$@"
status=$?
set -e
exit $status
