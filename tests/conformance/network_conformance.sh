#!/usr/bin/env bash
# Tempest's network tests against a fresh Haneul, in one command.
#
#   tests/conformance/network_conformance.sh [--dir DIR] [--port PORT]
#       [-- RUN_TEMPEST_ARGS...]
#
# Creates DIR (default /tmp/haneul-network-conformance; wiped first), writes a
# haneul.toml serving identity and network on 127.0.0.1:PORT (default 5089),
# bootstraps it, starts `haneul serve`, creates as admin the external network
# "public" (172.24.4.0/24) that Tempest's floating IP and router tests use,
# runs run_tempest.py --service network with the matching tempest.conf options
# (extra arguments after -- are passed on, e.g. --update), then stops the
# process it started (by its recorded PID) and exits with run_tempest's status.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=/tmp/haneul-network-conformance
port=5089
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
bin=$repo/.venv/bin
[ -x "$bin/haneul" ] || bin=$(dirname "$(command -v haneul)")
password=conformance-secret

rm -rf "$dir"
mkdir -p "$dir"
cat > "$dir/haneul.toml" <<CONF
state_dir = "$dir"
enabled_services = ["identity", "network"]
[server]
host = "127.0.0.1"
port = $port
[identity]
bcrypt_rounds = 10
CONF

"$bin/haneul" bootstrap --config "$dir/haneul.toml" --password "$password" \
    --clouds-yaml "$dir/clouds.yaml" --openrc "$dir/openrc"
"$bin/haneul" serve --config "$dir/haneul.toml" > "$dir/serve.log" 2>&1 &
serve_pid=$!
cleanup() {
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/identity/v3" && break
    sleep 0.2
done

export OS_CLIENT_CONFIG_FILE=$dir/clouds.yaml OS_CLOUD=haneul
public_id=$("$bin/openstack" network create public --external -f value -c id)
"$bin/openstack" subnet create public-v4 --network public --subnet-range 172.24.4.0/24 \
    > /dev/null
# Exactly what /v2.0/extensions lists, so Tempest skips what is not implemented.
extensions=$("$bin/openstack" extension list --network -f value -c Alias | sort | paste -sd,)

set +e
python3 "$here/run_tempest.py" --auth-url "http://127.0.0.1:$port/identity/v3" \
    --password "$password" --service network --workspace "$dir/workspace" \
    --set "network.public_network_id=$public_id" \
    --set "network.floating_network_name=public" \
    --set "network-feature-enabled.api_extensions=$extensions" \
    --set "network-feature-enabled.ipv6=True" \
    --set "network-feature-enabled.ipv6_subnet_attributes=True" "$@"
status=$?
set -e
exit $status
