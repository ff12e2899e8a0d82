"""How long building an `AutoAPI` takes over many generated models.

    python -m bench.build_time [--models N] [--repeat N] [--quick]

Generates N Beanie `Document` classes (a few fields each; model i links to model i-1, and
holds a list of links to model i-2), then times `AutoAPI(models=...)`: the first build
(cold: nothing cached yet) and the median of the builds after it. The target is 200 ms
for 50 models. No database is needed: an `AutoAPI` can be built before `init_beanie`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from beanie import Document, Link
from pydantic import Field

from autoapi import AutoAPI

TARGET_MS = 200.0


def make_models(count: int) -> list[type[Document]]:
    """`count` Document classes linked in a chain (one link and one list of links each)."""
    models: list[type[Document]] = []
    for i in range(count):
        annotations: dict[str, Any] = {
            "name": str, "quantity": int, "price": float, "active": bool,
            "created": datetime.datetime, "tags": list[str],
        }
        namespace: dict[str, Any] = {
            "__module__": __name__, "__qualname__": f"Model{i}",
            "quantity": 0, "price": 0.0, "active": True,
            "created": Field(default_factory=lambda: datetime.datetime.now(datetime.UTC)),
            "tags": Field(default_factory=list),
            # pydantic takes a class for a nested class (not a field) by its qualified name
            "Settings": type("Settings", (), {"name": f"model_{i}", "__module__": __name__,
                                              "__qualname__": f"Model{i}.Settings"}),
        }
        if i >= 1:
            annotations["parent"] = Link[models[i - 1]] | None  # type: ignore[misc]
            namespace["parent"] = None
        if i >= 2:
            annotations["related"] = list[Link[models[i - 2]]]  # type: ignore[misc]
            namespace["related"] = Field(default_factory=list)
        namespace["__annotations__"] = annotations
        models.append(type(f"Model{i}", (Document,), namespace))
    return models


def time_builds(models: Sequence[type[Document]], repeat: int) -> tuple[float, float, int]:
    """(first build ms, median of the next `repeat` builds ms, number of routes)."""
    times = []
    routes = 0
    for _ in range(repeat + 1):
        start = time.perf_counter()
        api = AutoAPI(models=models)
        times.append((time.perf_counter() - start) * 1000)
        routes = len(api.router.routes)
    return times[0], statistics.median(times[1:]), routes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.build_time", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=50, help="how many models (default 50)")
    parser.add_argument("--repeat", type=int, default=10, help="builds after the first")
    parser.add_argument("--quick", action="store_true", help="5 models, 2 builds")
    args = parser.parse_args(argv)
    count, repeat = (5, 1) if args.quick else (args.models, args.repeat)
    if count < 1 or repeat < 1:
        parser.error("--models and --repeat must be at least 1")
    start = time.perf_counter()
    models = make_models(count)
    define_ms = (time.perf_counter() - start) * 1000
    first, median, routes = time_builds(models, repeat)
    verdict = "under" if first < TARGET_MS else "OVER"
    print(f"build time: {count} models, {routes} routes; {os.cpu_count()} cores")
    print()
    print("| step | ms |")
    print("|---|---:|")
    print(f"| define {count} Document classes (pydantic, not autoapi) | {define_ms:.1f} |")
    print(f"| AutoAPI(models=...), first build | {first:.1f} |")
    print(f"| AutoAPI(models=...), median of the next {repeat} | {median:.1f} |")
    print()
    print(f"first build {verdict} the {TARGET_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
