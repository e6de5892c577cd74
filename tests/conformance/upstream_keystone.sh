#!/usr/bin/env bash
# Install and start upstream OpenStack Keystone, standalone, for reference runs
# (Tempest conformance targets, benchmarks). Self-contained: needs only python3
# and PyPI.
#
#   tests/conformance/upstream_keystone.sh start [--dir DIR] [--port PORT] \
#       [--password PW] [--processes N] [--version X.Y.Z] [--extra-conf FILE]
#   tests/conformance/upstream_keystone.sh stop [--dir DIR]
#
# start: creates DIR/venv (pip install keystone==VERSION uwsgi) if missing,
#   writes DIR/keystone.conf (SQLite at DIR/keystone.db, fernet and credential
#   keys under DIR), runs db_sync, fernet_setup, credential_setup and bootstrap
#   (admin user/project/role, identity endpoints http://127.0.0.1:PORT/v3 in
#   RegionOne) on first use, starts uwsgi on 127.0.0.1:PORT in the background,
#   waits until GET /v3 answers, writes the uwsgi master PID to DIR/keystone.pid
#   and prints it as the last line of stdout. Logs go to DIR/keystone.log.
#   --extra-conf FILE is appended to keystone.conf (e.g. [security_compliance]
#   or [cache] settings).
# stop: sends SIGTERM to the PID in DIR/keystone.pid (only if that process is
#   this directory's uwsgi) and waits for it to exit.
#
# Defaults: DIR=/tmp/upstream-keystone PORT=5001 PW=password processes=1
# VERSION=30.0.0. Keep one process with SQLite: several writer processes fail
# at random with "database is locked".
set -euo pipefail

action=${1:-}
[ -n "$action" ] && shift
dir=/tmp/upstream-keystone
port=5001
password=password
processes=1
version=30.0.0
extra_conf=
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --password) password=$2; shift 2 ;;
        --processes) processes=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --extra-conf) extra_conf=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile=$dir/keystone.pid

is_ours() {  # is PID $1 a live uwsgi started with this directory's config?
    [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q "uwsgi.*$dir/uwsgi.ini"
}

case "$action" in
start)
    if [ -s "$pidfile" ] && is_ours "$(cat "$pidfile")"; then
        echo "keystone already running" >&2
        cat "$pidfile"
        exit 0
    fi
    if [ ! -x "$dir/venv/bin/keystone-manage" ] || [ ! -x "$dir/venv/bin/uwsgi" ]; then
        python3 -m venv "$dir/venv"
        "$dir/venv/bin/pip" install -q --upgrade pip >&2
        "$dir/venv/bin/pip" install -q "keystone==$version" uwsgi >&2
    fi
    cat >"$dir/keystone.conf" <<CONF
[DEFAULT]
log_file = $dir/keystone.log
[database]
connection = sqlite:///$dir/keystone.db
[fernet_tokens]
key_repository = $dir/fernet-keys
[fernet_receipts]
key_repository = $dir/fernet-keys
[credential]
key_repository = $dir/credential-keys
CONF
    if [ -n "$extra_conf" ]; then cat "$extra_conf" >>"$dir/keystone.conf"; fi
    cat >"$dir/uwsgi.ini" <<INI
[uwsgi]
http-socket = 127.0.0.1:$port
module = keystone.wsgi.api:application
env = OS_KEYSTONE_CONFIG_FILES=$dir/keystone.conf
master = true
die-on-term = true
lazy-apps = true
need-app = true
processes = $processes
threads = 1
buffer-size = 65535
logto = $dir/uwsgi.log
INI
    manage=("$dir/venv/bin/keystone-manage" --config-file "$dir/keystone.conf")
    if [ ! -e "$dir/bootstrapped" ]; then
        mkdir -p "$dir/fernet-keys" "$dir/credential-keys"
        "${manage[@]}" db_sync >&2
        "${manage[@]}" fernet_setup --keystone-user root --keystone-group root >&2
        "${manage[@]}" credential_setup --keystone-user root --keystone-group root >&2
        "${manage[@]}" bootstrap --bootstrap-password "$password" \
            --bootstrap-username admin --bootstrap-project-name admin \
            --bootstrap-role-name admin --bootstrap-service-name keystone \
            --bootstrap-region-id RegionOne \
            --bootstrap-admin-url "http://127.0.0.1:$port/v3" \
            --bootstrap-public-url "http://127.0.0.1:$port/v3" \
            --bootstrap-internal-url "http://127.0.0.1:$port/v3" >&2
        touch "$dir/bootstrapped"
    fi
    setsid "$dir/venv/bin/uwsgi" --ini "$dir/uwsgi.ini" </dev/null >/dev/null 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    deadline=$((SECONDS + 60))
    until python3 - "$port" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v3", timeout=5).read()
PY
    do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "uwsgi exited; see $dir/uwsgi.log and $dir/keystone.log" >&2
            exit 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "keystone did not answer on port $port within 60 s" >&2
            exit 1
        fi
        sleep 0.5
    done
    echo "keystone $version on http://127.0.0.1:$port/v3 (admin/$password), dir $dir" >&2
    echo "$pid"
    ;;
stop)
    [ -s "$pidfile" ] || { echo "no $pidfile" >&2; exit 0; }
    pid=$(cat "$pidfile")
    if is_ours "$pid"; then
        kill -TERM "$pid"
        deadline=$((SECONDS + 30))
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then echo "PID $pid still running" >&2; exit 1; fi
        echo "stopped $pid" >&2
    else
        echo "PID $pid is not this directory's uwsgi; not signalling it" >&2
    fi
    rm -f "$pidfile"
    ;;
*)
    echo "usage: $0 start|stop [--dir DIR] [--port PORT] [--password PW] [--processes N]" \
        "[--version X.Y.Z] [--extra-conf FILE]" >&2
    exit 2
    ;;
esac
