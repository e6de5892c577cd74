"""Test traffic between guest namespaces, run inside one with ``ip netns exec``:

    python -m bench.network.traffic serve                    # receiver: ports 5001, 5002
    python -m bench.network.traffic stream ADDR --mb 300     # one TCP stream to :5001
    python -m bench.network.traffic connect ADDR --count 2000  # short connections to :5002

The senders print one JSON line: seconds, bytes or connections, and their own CPU time.
On 5001 the receiver reads until EOF and answers with the byte count; on 5002 it
accepts and closes at once (it closes first, so the sender's ports never sit in
TIME_WAIT and thousands of connections in a row do not exhaust them).
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import sys
import threading
import time

STREAM_PORT = 5001
CONNECT_PORT = 5002
CHUNK = 1 << 20


def _listener(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    sock.listen(512)
    return sock


def _serve_stream(sock: socket.socket) -> None:
    buf = bytearray(CHUNK)
    while True:
        conn, _ = sock.accept()
        with conn:
            total = 0
            while n := conn.recv_into(buf):
                total += n
            conn.sendall(str(total).encode())


def _serve_connect(sock: socket.socket) -> None:
    while True:
        conn, _ = sock.accept()
        conn.close()


def serve() -> int:
    stream, connect = _listener(STREAM_PORT), _listener(CONNECT_PORT)
    threading.Thread(target=_serve_stream, args=(stream,), daemon=True).start()
    print("ready", flush=True)
    _serve_connect(connect)
    return 0


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def stream(address: str, megabytes: int) -> dict[str, float]:
    data = bytes(CHUNK)
    cpu0 = _cpu()
    started = time.perf_counter()
    with socket.create_connection((address, STREAM_PORT), timeout=30) as conn:
        for _ in range(megabytes):
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(64):
            answer += chunk
    seconds = time.perf_counter() - started
    received = int(answer or b"0")
    if received != megabytes * CHUNK:
        raise SystemExit(f"receiver counted {received} bytes of {megabytes * CHUNK}")
    return {"seconds": seconds, "bytes": received, "cpu": _cpu() - cpu0}


def connect(address: str, count: int) -> dict[str, float]:
    cpu0 = _cpu()
    started = time.perf_counter()
    for _ in range(count):
        conn = socket.create_connection((address, CONNECT_PORT), timeout=10)
        conn.recv(1)  # the receiver's FIN
        conn.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "connections": count, "cpu": _cpu() - cpu0}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.network.traffic")
    p.add_argument("mode", choices=["serve", "stream", "connect"])
    p.add_argument("address", nargs="?")
    p.add_argument("--mb", type=int, default=300)
    p.add_argument("--count", type=int, default=2000)
    args = p.parse_args(argv)
    if args.mode == "serve":
        return serve()
    if not args.address:
        p.error("an address is needed")
    result = stream(args.address, args.mb) if args.mode == "stream" \
        else connect(args.address, args.count)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
