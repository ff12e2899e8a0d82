"""App CPU per request and requests per second over loopback, each app in its own process.

    python -m bench.load [--quick] [--duration S] [--rounds N] [--only LABEL] [--apps A,B]
                         [--db-pid PID]

The apps: autoapi, the hand-written Beanie endpoints (on Starlette, and as FastAPI has them:
`bench.fastapi_app`; on the create row also FastAPI-checked, whose create refuses a link to
a missing author as autoapi's does), the limit (`bench.limit`: the bare driver and orjson,
the `count` beside the page, and whatever contract work autoapi is found doing: an ETag, a
link check on create) and the limit without the count; the list pages once more with
`count=none`, beside the limit without the count only. Before timing, the Beanie apps must
answer every read with autoapi's documents, and FastAPI-checked must refuse a link to a
missing author. Each app runs in its own uvicorn process on 127.0.0.1. In
memory each process seeds its own database; with `MONGODB_URL` this process seeds one (in
batches) that all of them read, and drops it at the end (`--keep NAME`: keeps it, and the
next run reuses it once the documents the create row added are deleted; seeding a
wire-protocol stand-in takes minutes).

For each row, `wrk -t2 -c16` drives one app for `--duration` seconds, then the next, for
`--rounds` rounds, the order rotating every round. Before each run the app (and the
database server, `--db-pid`) must have gone quiet: nothing left of the previous run weighs
on the next. A row prints, per app, the median and the range (min-max) over the rounds of
the app process's CPU per request and of the rate, and the ratios autoapi / other taken
within each round. The costs as curves (CPU per document, fixed CPU per request) come
from the three list rows. Without wrk a bounded httpx loop stands in.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import statistics
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from bench import data, procs
from bench.apps import autoapi_budget
from bench.compare import Row, Sizes, check_documents, rows
from bench.data import author_id, book_id

LOAD_FULL = Sizes(authors=1000, books=10_000, tiny=10, small=100, large=1000, repeat=0, warmup=5)
LOAD_QUICK = Sizes(authors=10, books=60, tiny=2, small=10, large=50, repeat=0, warmup=2)
APPS = {  # name → uvicorn factory, extra environment
    "autoapi": ("bench.apps:serve_autoapi", {}),
    "hand-written": ("bench.apps:serve_handwritten", {}),
    "FastAPI": ("bench.apps:serve_fastapi", {}),
    "FastAPI-checked": ("bench.apps:serve_fastapi", {"BENCH_LINK_CHECK": "1"}),
    "limit": ("bench.apps:serve_limit", {"BENCH_LIMIT": "count"}),
    "limit-no-count": ("bench.apps:serve_limit", {"BENCH_LIMIT": "nocount"}),
}
Samples = dict[str, list[procs.Run]]  # app → one run per round
NO_COUNT_APPS = ("autoapi", "limit-no-count")  # what a `count=none` list is compared with
BEANIE_APPS = ("hand-written", "FastAPI", "FastAPI-checked")
CREATE_ONLY_APPS = ("FastAPI-checked",)  # the others' reads are the same code


def load_rows(sizes: Sizes) -> list[Row]:
    """`bench.compare`'s rows, and the three list pages again with `count=none`."""
    base = rows(sizes)
    lists = [row for row in base if row.kind == "list"]
    no_count = [dataclasses.replace(row, label=f"{row.label}, count=none", kind="list-nocount",
                                    url=f"{row.url}&count=none") for row in lists]
    return base[:-1] + no_count + base[-1:]  # create stays last


def apps_of(row: Row, apps: Sequence[str]) -> list[str]:
    if row.kind == "list-nocount":
        return [name for name in apps if name in NO_COUNT_APPS]
    return [name for name in apps if row.method == "POST" or name not in CREATE_ONLY_APPS]


@dataclass(frozen=True)
class Options:
    sizes: Sizes
    duration: float
    rounds: int
    only: str
    apps: tuple[str, ...]
    db_pid: int | None
    keep: str | None  # a database on MONGODB_URL kept (and reused) between runs


def spread(values: Sequence[float], digits: int = 2) -> str:
    """`median (min-max)`."""
    return (f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})")


def contract_work(auto: procs.Server) -> list[str]:
    """What autoapi does beyond the bare driver, for the limit to do too."""
    work = []
    if "etag" in httpx.get(f"{auto.base}/api/books/{book_id(7)}").headers:
        work.append("etag")
    created = httpx.post(f"{auto.base}/api/books", json=PROBE)
    if created.status_code == 201:
        httpx.delete(f"{auto.base}/api/books/{created.json()['_id']}")
    elif created.status_code == 422:
        work.append("link_check")
    if autoapi_budget():  # not seen over HTTP unless the database is slow: asked of the app
        work.append("budget")
    return work


PROBE = {"title": "probe", "author": str(author_id(10**6))}  # an author nobody seeded


def check_link_refusal(started: dict[str, procs.Server]) -> None:
    """The checked reference refuses a link to a missing author, as autoapi does."""
    if "FastAPI-checked" in started:
        answer = httpx.post(f"{started['FastAPI-checked'].base}/api/books", json=PROBE)
        assert answer.status_code == 422, ("FastAPI-checked", answer.status_code)


def check_answers(started: dict[str, procs.Server], table: Sequence[Row]) -> None:
    """The Beanie apps answer each read with autoapi's documents (bench.compare checks the
    limit's bytes), or their figures mean nothing."""
    for row in table:
        if row.method != "GET" or row.kind == "list-nocount":  # only autoapi skips the count
            continue
        auto = httpx.get(started["autoapi"].base + row.url, timeout=60).json()
        for name in BEANIE_APPS:
            if name in started:
                answer = httpx.get(started[name].base + row.url, timeout=60)
                assert answer.status_code == 200, (name, row.label, answer.status_code)
                check_documents(row, auto, answer.json())


@contextmanager
def servers(opts: Options) -> Iterator[tuple[dict[str, procs.Server], list[str]]]:
    sizes = opts.sizes
    env = {"BENCH_AUTHORS": str(sizes.authors), "BENCH_BOOKS": str(sizes.books),
           "BENCH_DATABASE": opts.keep or f"autoapi_bench_{procs.free_port()}",
           "BENCH_SEEDED": "1" if data.MONGODB_URL else "0"}
    started: dict[str, procs.Server] = {}
    try:
        if data.MONGODB_URL:
            asyncio.run(_seed(env["BENCH_DATABASE"], sizes, reuse=opts.keep is not None))
        started["autoapi"] = procs.start("autoapi", APPS["autoapi"][0], env)
        procs.wait_ready(started["autoapi"])
        work = contract_work(started["autoapi"])
        for name in opts.apps:
            factory, extra = APPS[name]
            if name not in started:
                extra = dict(extra)
                if "BENCH_LIMIT" in extra:
                    extra["BENCH_LIMIT"] = ",".join([extra["BENCH_LIMIT"], *work])
                started[name] = procs.start(name, factory, {**env, **extra})
        for server in started.values():
            procs.wait_ready(server)
        check_answers(started, load_rows(sizes))
        check_link_refusal(started)
        yield started, work
    finally:
        for server in started.values():
            procs.stop(server)
        if data.MONGODB_URL and not opts.keep:
            asyncio.run(_drop(env["BENCH_DATABASE"]))


async def _seed(database: str, sizes: Sizes, reuse: bool) -> None:
    backend = data.open_backend(database)
    if not (reuse and await data.reset(backend, sizes.authors, sizes.books)):
        await data.seed(backend, sizes.authors, sizes.books)
    await backend.close(drop=False)


async def _drop(database: str) -> None:
    await data.open_backend(database).close()


def measure_row(started: dict[str, procs.Server], row: Row, opts: Options, wrk: str | None
                ) -> Samples:
    names = [name for name in apps_of(row, opts.apps) if name in started]
    for name in names:  # warm-up: first requests fill caches and open connections
        for _ in range(opts.sizes.warmup):
            httpx.request(row.method, started[name].base + row.url, json=row.body, timeout=30)
    samples: Samples = {name: [] for name in names}
    quiet = tuple(server.process.pid for server in started.values())
    quiet += (opts.db_pid,) if opts.db_pid else ()
    for i in range(opts.rounds):
        for name in names[i % len(names):] + names[: i % len(names)]:
            samples[name].append(procs.measure(started[name], row.url, row.body, opts.duration,
                                               wrk, row.method, quiet))
    return samples


def format_row(row: Row, samples: Samples) -> list[str]:
    lines = []
    for name, runs in samples.items():
        failed = sum(run.errors for run in runs)
        note = f" ({failed} failed)" if failed else ""
        lines.append(f"| {row.label} | {name} | {spread([r.cpu_ms for r in runs])} | "
                     f"{spread([r.per_second for r in runs], 0)}{note} |")
    return lines


def format_ratios(results: Sequence[tuple[Row, Samples]]) -> list[str]:
    names = dict.fromkeys(name for _, samples in results for name in samples)
    others = [name for name in names if name != "autoapi"]
    lines = ["| request | " + " | ".join(f"autoapi / {o}" for o in others) + " |",
             "|---|" + "---:|" * len(others)]
    for row, samples in results:
        auto = samples["autoapi"]
        cells = [spread([a.cpu_ms / b.cpu_ms for a, b in zip(auto, samples[o], strict=True)])
                 if o in samples else "—" for o in others]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return lines


def format_curves(results: Sequence[tuple[Row, Samples]], sizes: Sizes) -> list[str]:
    """CPU per document and fixed CPU per request, from the smallest and largest list page."""
    lists = {row.label: samples for row, samples in results if row.kind == "list"}
    tiny, large = f"list of {sizes.tiny}", f"list of {sizes.large}"
    if tiny not in lists or large not in lists:
        return []
    lines = ["| app | CPU µs per document | fixed CPU ms per request |", "|---|---:|---:|"]
    for name in lists[tiny]:
        small_ms = statistics.median(r.cpu_ms for r in lists[tiny][name])
        large_ms = statistics.median(r.cpu_ms for r in lists[large][name])
        per_doc = (large_ms - small_ms) / (sizes.large - sizes.tiny)
        lines.append(f"| {name} | {per_doc * 1000:.1f} | {small_ms - per_doc * sizes.tiny:.2f} |")
    return lines


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny data, 1 s per run, 1 round")
    parser.add_argument("--duration", type=float, help="seconds per run (default 3)")
    parser.add_argument("--rounds", type=int, help="rounds per row (default 5)")
    parser.add_argument("--only", default="", help="run only the rows whose label contains this")
    parser.add_argument("--apps", default=",".join(APPS), help="the apps (autoapi always)")
    parser.add_argument("--db-pid", type=int, help="the database server's pid, to drain it too")
    parser.add_argument("--connections", type=int,
                        help="concurrent connections (default 16; fewer when the database is "
                             "slow, so that a run ends soon after the load stops)")
    parser.add_argument("--books", type=int,
                        help="books to seed (default 10000), one author per ten books")
    parser.add_argument("--keep", metavar="DATABASE",
                        help="seed this database on MONGODB_URL once, keep it, reuse it")
    args = parser.parse_args(argv)
    duration = args.duration if args.duration is not None else 1.0 if args.quick else 3.0
    rounds = args.rounds if args.rounds is not None else 1 if args.quick else 5
    apps = tuple(dict.fromkeys(["autoapi", *(a.strip() for a in args.apps.split(","))]))
    if not 0 < duration <= 60:
        parser.error("--duration must be in (0, 60]")
    if not 1 <= rounds <= 20:
        parser.error("--rounds must be in [1, 20]")
    if unknown := [a for a in apps if a not in APPS]:
        parser.error(f"unknown apps {unknown}; known: {', '.join(APPS)}")
    if args.connections is not None:
        if not 1 <= args.connections <= 256:
            parser.error("--connections must be in [1, 256]")
        procs.CONNECTIONS = args.connections
    sizes = LOAD_QUICK if args.quick else LOAD_FULL
    if args.books is not None:
        if not 1000 <= args.books <= 1_000_000:
            parser.error("--books must be in [1000, 1000000]")
        sizes = dataclasses.replace(sizes, books=args.books, authors=args.books // 10)
    return Options(sizes, duration, rounds, args.only, apps, args.db_pid, args.keep)


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    wrk = shutil.which("wrk")
    chosen = [row for row in load_rows(opts.sizes) if opts.only in row.label]
    results: list[tuple[Row, Samples]] = []
    with servers(opts) as (started, work):
        for row in chosen:  # create stays last: it grows the collection the lists count
            results.append((row, measure_row(started, row, opts, wrk)))
    tool = (f"wrk -t{procs.THREADS} -c{procs.CONNECTIONS} -d{opts.duration:g}s" if wrk
            else f"httpx, {procs.CONNECTIONS} concurrent requests for {opts.duration:g} s")
    db = "MONGODB_URL" if data.MONGODB_URL else "in memory, in each app process"
    print(f"load: {tool}; uvicorn, one process per app, 127.0.0.1; database {db}, "
          f"{data.BEANIE_LINE}; {opts.sizes.books} books, {opts.sizes.authors} authors; "
          f"{opts.rounds} rotated round(s); the limit also does: {', '.join(work) or 'nothing'}; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print("\n| request | app | app CPU ms per request (idle CPU taken out) | requests per second |")
    print("|---|---|---:|---:|")
    for row, samples in results:
        print("\n".join(format_row(row, samples)))
    print("\nautoapi's app CPU per request over the others' (median and range of the rounds)\n")
    print("\n".join(format_ratios(results)))
    curves = format_curves(results, opts.sizes)
    if curves:
        print("\nCosts as curves (from the list rows)\n")
        print("\n".join(curves))
    return 0


if __name__ == "__main__":
    sys.exit(main())
