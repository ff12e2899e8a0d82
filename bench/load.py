"""Requests per second over loopback: autoapi and the hand-written endpoints under uvicorn.

    python -m bench.load [--quick] [--duration SECONDS] [--rounds N] [--only LABEL]

Both apps run at once in their own uvicorn process on 127.0.0.1 (a free port each), each
seeding its own database (mongomock-motor, or `MONGODB_URL`). For each row, `wrk -t2 -c16`
drives one app for `--duration` seconds, then the other, for `--rounds` rounds (the first
app alternates), so that other work on the machine weighs on both alike; the table gives
the mean rate of the rounds. Without wrk (Debian: `apt-get install wrk`), a bounded httpx
loop with 16 concurrent requests stands in. The servers are stopped at the end, whatever
happens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.compare import FULL, QUICK, Row, Sizes, rows

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {"autoapi": "bench.apps:serve_autoapi", "hand-written": "bench.apps:serve_handwritten"}
THREADS, CONNECTIONS = 2, 16
WRK_TIMEOUT = "10s"  # a slow list page is an answer to count, not a socket error
MAX_FALLBACK_REQUESTS = 100_000  # the httpx stand-in stops here even if time remains


@dataclass(frozen=True)
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]


@dataclass(frozen=True)
class Rate:
    per_second: float
    errors: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(name: str, factory: str, sizes: Sizes) -> Server:
    port = free_port()
    env = {**os.environ, "BENCH_AUTHORS": str(sizes.authors), "BENCH_BOOKS": str(sizes.books),
           "BENCH_DATABASE": f"autoapi_bench_{port}"}
    command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    return Server(name, f"http://127.0.0.1:{port}", process)


def wait_ready(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} server exited with {server.process.returncode}")
        try:
            if httpx.get(f"{server.base}/api/books?limit=1", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} server not ready after {timeout:.0f} s")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def servers(sizes: Sizes) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for name, factory in VARIANTS.items():
            started.append(start(name, factory, sizes))
        for server in started:
            wait_ready(server)
        yield started
    finally:
        for server in started:
            stop(server)


def run_wrk(wrk: str, url: str, row: Row, duration: float) -> Rate:
    with tempfile.TemporaryDirectory() as tmp:
        command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration:g}s",
                   f"--timeout={WRK_TIMEOUT}", url]
        if row.body is not None:
            script = Path(tmp) / "post.lua"
            script.write_text(_post_script(row.body))
            command[1:1] = ["-s", str(script)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30,
                                check=True)
    return parse_wrk(result.stdout)


def _post_script(body: dict[str, object]) -> str:
    # a Lua long string holds the JSON as is, quotes and all
    return ('wrk.method = "POST"\n'
            f"wrk.body = [[{json.dumps(body)}]]\n"
            'wrk.headers["Content-Type"] = "application/json"\n')


def parse_wrk(output: str) -> Rate:
    rate = re.search(r"Requests/sec:\s*([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*?(\d+).*?(\d+).*?(\d+).*?(\d+)", output)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return Rate(float(rate.group(1)), failed)


async def run_httpx(url: str, row: Row, duration: float) -> Rate:
    """The stand-in for wrk: CONNECTIONS workers, bounded in time and in count."""
    deadline = time.monotonic() + duration
    done = errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done, errors
        while time.monotonic() < deadline and done < MAX_FALLBACK_REQUESTS:
            response = await client.request(row.method, url, json=row.body)
            done += 1
            errors += response.status_code >= 400

    limits = httpx.Limits(max_connections=CONNECTIONS)
    start_time = time.monotonic()
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONNECTIONS)))
    return Rate(done / (time.monotonic() - start_time), errors)


def measure(server: Server, row: Row, duration: float, wrk: str | None) -> Rate:
    url = server.base + row.url
    if wrk:
        return run_wrk(wrk, url, row, duration)
    return asyncio.run(run_httpx(url, row, duration))


def measure_row(
    auto: Server, hand: Server, row: Row, duration: float, rounds: int, wrk: str | None
) -> tuple[Rate, Rate]:
    """The mean rate of each app over `rounds` alternated runs."""
    rates: dict[str, list[Rate]] = {auto.name: [], hand.name: []}
    for i in range(rounds):
        for server in (auto, hand) if i % 2 == 0 else (hand, auto):
            rates[server.name].append(measure(server, row, duration, wrk))
    return _mean(rates[auto.name]), _mean(rates[hand.name])


def _mean(rates: Sequence[Rate]) -> Rate:
    return Rate(sum(r.per_second for r in rates) / len(rates), sum(r.errors for r in rates))


def format_table(results: Sequence[tuple[Row, Rate, Rate]]) -> str:
    lines = ["| request | autoapi req/s | hand-written req/s | autoapi / hand-written |",
             "|---|---:|---:|---:|"]
    for row, auto, hand in results:
        lines.append(f"| {row.label} | {auto.per_second:.0f} | {hand.per_second:.0f} | "
                     f"{auto.per_second / hand.per_second:.2f} |")
    failed = [(row.label, a.errors, h.errors) for row, a, h in results if a.errors or h.errors]
    for label, a, h in failed:
        lines.append(f"\n{label}: failed responses autoapi {a}, hand-written {h}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> tuple[Sizes, float, int, str]:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny data, 1 s per run")
    parser.add_argument("--duration", type=float, help="seconds per run (default 5)")
    parser.add_argument("--rounds", type=int, help="alternated runs per app and row (default 2)")
    parser.add_argument("--only", default="", help="run only the rows whose label contains this")
    args = parser.parse_args(argv)
    duration = args.duration if args.duration is not None else 1.0 if args.quick else 5.0
    rounds = args.rounds if args.rounds is not None else 1 if args.quick else 2
    if not 0 < duration <= 60:
        parser.error("--duration must be in (0, 60]")
    if not 1 <= rounds <= 10:
        parser.error("--rounds must be in [1, 10]")
    return (QUICK if args.quick else FULL), duration, rounds, args.only


def main(argv: Sequence[str] | None = None) -> int:
    sizes, duration, rounds, only = parse_args(argv)
    wrk = shutil.which("wrk")
    chosen = [row for row in rows(sizes) if only in row.label]
    results = []
    with servers(sizes) as (auto, hand):
        for row in chosen:  # create stays last: it grows the collection the lists count
            results.append((row, *measure_row(auto, hand, row, duration, rounds, wrk)))
    tool = (f"wrk -t{THREADS} -c{CONNECTIONS} -d{duration:g}s --timeout={WRK_TIMEOUT}" if wrk
            else f"httpx, {CONNECTIONS} concurrent requests for {duration:g} s (wrk not found)")
    print(f"load: {tool}; uvicorn, one worker per app, 127.0.0.1; {sizes.books} books, "
          f"{sizes.authors} authors; mean of {rounds} alternated run(s) per app; "
          f"{os.cpu_count()} cores")
    print()
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
