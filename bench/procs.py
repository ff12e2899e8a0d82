"""App servers in their own processes, their CPU time, and the load that drives them.

Each app runs in its own uvicorn process, so that the CPU it spends (read from `/proc`:
the scheduler's nanoseconds per thread) is its own: not the load generator's, not the
database's. The app counts the requests it serves (`bench.served`), so the requests still
running when the load tool stops are counted, once they are over, with the CPU they took.
wrk drives the load when installed (Debian: `apt-get install wrk`); a bounded httpx loop
stands in otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.served import PATH as SERVED_PATH

ROOT = Path(__file__).resolve().parent.parent
THREADS = 2
CONNECTIONS = 16  # `bench.load --connections` sets it
WRK_TIMEOUT = "10s"  # a slow list page is an answer to count, not a socket error
MAX_FALLBACK_REQUESTS = 100_000  # the httpx stand-in stops here even if time remains
TICK = 1 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]


@dataclass(frozen=True)
class Run:
    """One timed run against one app: what the load tool saw and what the app spent."""

    per_second: float
    requests: int
    errors: int
    cpu_seconds: float

    @property
    def cpu_ms(self) -> float:
        """The app process's CPU per request, in milliseconds."""
        return self.cpu_seconds * 1000 / max(self.requests, 1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(name: str, factory: str, env: Mapping[str, str]) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    return Server(name, f"http://127.0.0.1:{port}", process)


def wait_ready(server: Server, timeout: float = 300.0) -> None:
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


def cpu_seconds(pid: int) -> float:
    """The CPU time all threads of the process have used so far: nanoseconds from the
    scheduler where the kernel keeps them, else user + system time in clock ticks."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks) / 1e9
    except (OSError, ValueError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # the name in parentheses may hold spaces
        return (int(fields[11]) + int(fields[12])) * TICK


def served(server: Server) -> tuple[int, int]:
    """(requests the app has finished, requests it is still serving)."""
    counts = httpx.get(server.base + SERVED_PATH, timeout=10).json()
    return int(counts["served"]), int(counts["running"])


def drain(server: Server, pids: list[int], quiet: float = 0.2, timeout: float = 120.0) -> None:
    """Wait until the app serves no request and none of `pids` spends CPU any more: nothing
    of one run is left to weigh on the next (or to be missed by its own count)."""
    deadline = time.monotonic() + timeout
    last = [cpu_seconds(pid) for pid in pids]
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = [cpu_seconds(pid) for pid in pids]
        idle = all(b - a <= quiet * 0.05 for a, b in zip(last, now, strict=True))
        if idle and served(server)[1] == 0:
            return
        last = now
    raise RuntimeError(f"{server.name} still busy {timeout:.0f} s after its run")


def measure(
    server: Server,
    url: str,
    body: Any,
    duration: float,
    wrk: str | None,
    method: str = "GET",
    quiet: tuple[int, ...] = (),
) -> Run:
    """Drive `server` for `duration` seconds. The app's CPU is read before the run and once
    every request it took is over, less what it spends idle meanwhile (sampled just before:
    timers and heartbeats, which weigh heavily on a row the database answers slowly), and
    divided by the requests it served."""
    pids = [server.process.pid, *quiet]
    drain(server, pids)
    idle_rate = _idle_rate(server.process.pid)
    cpu_before, served_before = cpu_seconds(server.process.pid), served(server)[0]
    start = time.monotonic()
    if wrk:
        rate, _, errors = run_wrk(wrk, server.base + url, body, duration)
    else:
        rate, _, errors = asyncio.run(run_httpx(server.base + url, method, body, duration))
    drain(server, pids)
    spent = cpu_seconds(server.process.pid) - cpu_before
    requests = served(server)[0] - served_before
    idle = idle_rate * (time.monotonic() - start)
    return Run(rate, requests, errors, max(spent - idle, 0.0))


def _idle_rate(pid: int, seconds: float = 0.5) -> float:
    """CPU seconds per second the idle process spends."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


def run_wrk(wrk: str, url: str, body: Any, duration: float) -> tuple[float, int, int]:
    """wrk's (requests per second, requests, failed responses)."""
    with tempfile.TemporaryDirectory() as tmp:
        seconds = max(1, round(duration))  # wrk takes whole seconds
        command = [
            wrk,
            f"-t{min(THREADS, CONNECTIONS)}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            f"--timeout={WRK_TIMEOUT}",
            url,
        ]
        if body is not None:
            script = Path(tmp) / "post.lua"
            script.write_text(_post_script(body))
            command[1:1] = ["-s", str(script)]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 30, check=True
        )
    return parse_wrk(result.stdout)


def _post_script(body: Any) -> str:
    # a Lua long string holds the JSON as is, quotes and all
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = [[{json.dumps(body)}]]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )


def parse_wrk(output: str) -> tuple[float, int, int]:
    """(requests per second, requests, failed responses) from wrk's report."""
    rate = re.search(r"Requests/sec:\s*([\d.]+)", output)
    done = re.search(r"(\d+) requests in", output)
    if rate is None or done is None:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*?(\d+).*?(\d+).*?(\d+).*?(\d+)", output)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return float(rate.group(1)), int(done.group(1)), failed


async def run_httpx(url: str, method: str, body: Any, duration: float) -> tuple[float, int, int]:
    """The stand-in for wrk: CONNECTIONS workers, bounded in time and in count."""
    deadline = time.monotonic() + duration
    done = errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done, errors
        while time.monotonic() < deadline and done < MAX_FALLBACK_REQUESTS:
            response = await client.request(method, url, json=body)
            done += 1
            errors += response.status_code >= 400

    limits = httpx.Limits(max_connections=CONNECTIONS)
    start_time = time.monotonic()
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONNECTIONS)))
    return done / (time.monotonic() - start_time), done, errors
