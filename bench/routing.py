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
from collections.abc import Sequence

from autoapi import AutoAPI
from bench.asgi import call, per_call_us
from bench.build_time import make_models

COUNTS = (2, 10, 50)
CALLS = 500


async def measure(count: int, repeat: int) -> tuple[int, float, float]:
    """(routes, µs per request by segment, µs per request with every route tried)."""
    models = make_models(count)
    by_segment, every = AutoAPI(models=models), AutoAPI(models=models)
    every.dispatch = every.router  # type: ignore[assignment]
    path = f"/model_{count - 1}/not-an-id"
    assert await call(by_segment, "GET", path) == await call(every, "GET", path) == 404
    times: dict[str, list[float]] = {"segment": [], "every": []}
    for _ in range(repeat):
        times["segment"].append(await per_call_us(by_segment, CALLS, "GET", path))
        times["every"].append(await per_call_us(every, CALLS, "GET", path))
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
