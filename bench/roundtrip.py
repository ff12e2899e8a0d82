"""What one database round trip costs the app, whatever code sent it.

    MONGODB_URL=<uri> python -m bench.roundtrip [--calls N] [--rounds N]

For a `find_one` by id and an `insert_one`, sent by the driver alone in a loop: the app
process's CPU and the wall time per call (median and range over the rounds), and the
event loop's iterations per call, counted exactly. On the wire lane these are what any app
pays for each round trip it makes, so they say what a create's link check (one more round
trip than a bare `insert()`) must cost beside the Python code autoapi runs. In memory the
stand-in answers in the same process: there is no wire and the iterations are those of
its own awaits.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from bench.data import open_backend


@dataclass(frozen=True)
class Cost:
    cpu_us: list[float]
    wall_us: list[float]
    iterations: float


class IterationCounter:
    """Counts the event loop's iterations (`_run_once`) while installed."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.count = loop, 0
        self._original = loop._run_once  # type: ignore[attr-defined]

    def _counted(self) -> None:
        self.count += 1
        self._original()

    def __enter__(self) -> IterationCounter:
        self.loop._run_once = self._counted  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop._run_once = self._original  # type: ignore[attr-defined]


async def cost(call: Callable[[], Awaitable[Any]], calls: int, rounds: int) -> Cost:
    await call()  # a connection is open and warm
    cpu, wall, iterations = [], [], 0
    with IterationCounter(asyncio.get_running_loop()) as counter:
        for _ in range(rounds):
            started, clock = time.process_time(), time.perf_counter()
            for _ in range(calls):
                await call()
            cpu.append((time.process_time() - started) / calls * 1e6)
            wall.append((time.perf_counter() - clock) / calls * 1e6)
        iterations = counter.count
    return Cost(cpu, wall, iterations / (calls * rounds))


def _spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


async def run(calls: int, rounds: int) -> str:
    backend = open_backend("autoapi_roundtrip")
    things = backend.db["things"]
    try:
        known = (await things.insert_one({"title": "a book"})).inserted_id
        find = await cost(lambda: things.find_one({"_id": known}), calls, rounds)
        insert = await cost(lambda: things.insert_one({"_id": ObjectId(), "title": "t"}),
                            calls, rounds)
    finally:
        await backend.close()
    lines = [f"backend: {backend.name}; {rounds} rounds of {calls} calls", "",
             "| call | app CPU µs per call | wall µs per call | event loop iterations per call |",
             "|---|---:|---:|---:|"]
    for label, measured in (("find_one by id", find), ("insert_one", insert)):
        lines.append(f"| {label} | {_spread(measured.cpu_us)} | {_spread(measured.wall_us)} | "
                     f"{measured.iterations:.2f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (median and range)")
    args = parser.parse_args(argv)
    print(asyncio.run(run(args.calls, args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
