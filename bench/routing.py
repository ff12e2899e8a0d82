"""What finding a request's route costs as the number of models grows.

    python -m bench.routing [--repeat N]

Over N generated models (`bench.build_time`'s), times `GET /api/<last model>/not-an-id`,
a 404 answered before any database call, so what grows with N is the routing: once with
routes picked by the first path segment (what autoapi does) and once with Starlette's one
router trying every route in order. Both in one process, interleaved; no database needed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp

from autoapi import AutoAPI
from bench.build_time import make_models

COUNTS = (2, 10, 50)
CALLS = 500


async def _call(app: ASGIApp, path: str) -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": [(b"host", b"x")],
             "client": ("127.0.0.1", 1), "server": ("x", 80)}
    await app(scope, receive, send)
    return int(sent[0]["status"])


async def _per_call_us(app: ASGIApp, path: str) -> float:
    started = time.process_time()
    for _ in range(CALLS):
        await _call(app, path)
    return (time.process_time() - started) / CALLS * 1e6


async def measure(count: int, repeat: int) -> tuple[int, float, float]:
    """(routes, µs per request by segment, µs per request with every route tried)."""
    models = make_models(count)
    by_segment, every = AutoAPI(models=models), AutoAPI(models=models)
    every.dispatch = every.router  # type: ignore[assignment]
    path = f"/model_{count - 1}/not-an-id"
    assert await _call(by_segment, path) == await _call(every, path) == 404
    times: dict[str, list[float]] = {"segment": [], "every": []}
    for _ in range(repeat):
        times["segment"].append(await _per_call_us(by_segment, path))
        times["every"].append(await _per_call_us(every, path))
    median = {k: statistics.median(v) for k, v in times.items()}
    return len(every.router.routes), median["segment"], median["every"]


async def run(counts: Sequence[int], repeat: int) -> str:
    lines = ["| models | routes | µs per request, by segment | every route in turn | ratio |",
             "|---:|---:|---:|---:|---:|"]
    for count in counts:
        routes, segment, every = await measure(count, repeat)
        ratio = segment / every
        lines.append(f"| {count} | {routes} | {segment:.0f} | {every:.0f} | {ratio:.2f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="interleaved runs (median)")
    parser.add_argument("--quick", action="store_true", help="2 and 10 models, 3 runs")
    args = parser.parse_args(argv)
    counts, repeat = ((2, 10), 3) if args.quick else (COUNTS, args.repeat)
    print(asyncio.run(run(counts, repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
