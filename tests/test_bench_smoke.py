"""The benchmarks still run and print their tables (tiny sizes), so they cannot rot."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from bench import build_time, compare, limit, load, overhead, roundtrip, routing
from bench.asgi import call
from bench.models import Book

from autoapi.store import scope

pytestmark = pytest.mark.bench


def test_compare_quick_prints_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    assert compare.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "| request | autoapi ms | hand-written ms | limit ms | autoapi / hand-written |" in out
    for label in ("list of 2 |", "list of 10 |", "list of 50 |", "populate=author", "get one",
                  "create one"):
        assert label in out
    assert "Peak memory for one list of 50 request" in out


def test_build_time_quick_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_time.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "AutoAPI(models=...), first build" in out
    assert "the 200 ms target" in out


def test_routing_quick_prints_a_row_per_model_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert routing.main(["--quick"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| models | routes |")
    assert [row.split("|")[1].strip() for row in rows[1:]] == ["2", "10"]


def test_roundtrip_prints_a_row_per_call(capsys: pytest.CaptureFixture[str]) -> None:
    assert roundtrip.main(["--calls", "3", "--rounds", "2"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| call | app CPU µs per call |")
    assert [row.split("|")[1].strip() for row in rows[1:]] == ["find_one by id", "insert_one"]
    for row in rows[1:]:
        cpu, wall, iterations = (row.split("|")[k].strip() for k in (2, 3, 4))
        assert float(cpu.split()[0]) > 0 and float(wall.split()[0]) > 0
        float(iterations)  # a number, not a placeholder


def test_overhead_quick_prints_every_row_and_puts_the_driver_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = scope.base_collection
    assert overhead.main(["--quick"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| request | autoapi µs | hand-written µs | FastAPI µs | limit µs |")
    labels = [row.split("|")[1].strip() for row in rows[1:]]
    assert labels == ["page of 10, count=none", "page of 100, count=none", "page of 100",
                      "get one", "create one"]
    assert scope.base_collection is real
    assert not {"get_pymongo_collection", "get_motor_collection"} & set(vars(Book))


@pytest.mark.parametrize("tool", ["wrk", "httpx"])
def test_load_quick_prints_requests_per_second(
    tool: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if tool == "wrk" and shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (Debian: apt-get install wrk)")
    if tool == "httpx":
        monkeypatch.setattr(shutil, "which", lambda name: None)
    argv = ["--quick", "--only", "get one", "--duration", "1", "--apps", "autoapi,limit"]
    assert load.main(argv) == 0
    out = capsys.readouterr().out
    assert "| request | app | app CPU ms per request (idle CPU taken out) |" in out
    assert "| get one | autoapi |" in out and "| get one | limit |" in out
    assert "| get one | hand-written |" not in out
    assert "| request | autoapi / limit |" in out
    assert "failed" not in out


def test_load_quick_checks_and_times_the_fastapi_endpoints(capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    argv = ["--quick", "--only", "populate", "--duration", "1", "--apps", "autoapi,FastAPI"]
    assert load.main(argv) == 0
    out = capsys.readouterr().out
    assert "| list of 10, populate=author | FastAPI |" in out
    assert "| request | autoapi / FastAPI |" in out
    assert "failed" not in out


def test_load_times_the_checked_fastapi_create_on_the_create_row_only(
    capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--quick", "--only", "one", "--duration", "1", "--apps", "autoapi,FastAPI-checked"]
    assert load.main(argv) == 0  # it also checks that the reference refuses a missing author
    out = capsys.readouterr().out
    assert "| create one | FastAPI-checked |" in out
    assert "| get one | FastAPI-checked |" not in out
    assert "| create one | — |" not in out and "| get one | — |" in out
    assert "failed" not in out


AUTO_PAGE = {"total": 2, "items": [{"_id": "a", "author": {"name": "x"}},
                                   {"_id": "b", "author": {"name": "y"}}]}
POPULATE = compare.Row("populate", "populate", "GET", "/api/books?populate=author")


@pytest.mark.parametrize(("other", "same"), [
    ({"total": 2, "items": [{"id": "a", "author": {"name": "x"}},
                            {"id": "b", "author": {"name": "y"}}]}, True),
    ({"total": 2, "items": [{"_id": "a", "author": {"name": "x"}},
                            {"_id": "b", "author": {"name": "y"}}]}, True),
    ({"total": 3, "items": [{"id": "a", "author": {"name": "x"}},
                            {"id": "b", "author": {"name": "y"}}]}, False),
    ({"total": 2, "items": [{"id": "b", "author": {"name": "y"}},
                            {"id": "a", "author": {"name": "x"}}]}, False),
    ({"total": 2, "items": [{"id": "a", "author": {"name": "x"}},
                            {"id": "b", "author": {"name": "x"}}]}, False),
])
def test_a_reference_answering_other_documents_is_refused(other: object, same: bool) -> None:
    if same:
        compare.check_documents(POPULATE, AUTO_PAGE, other)
    else:
        with pytest.raises(AssertionError):
            compare.check_documents(POPULATE, AUTO_PAGE, other)


async def test_the_limit_gives_reads_the_time_left_and_a_503_once_it_is_spent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with overhead.stubbed(3) as (book, _):
        stub = scope.base_collection(Book)
        seen: list[dict[str, object]] = []
        answer = stub.find_one

        async def find_one(filter_: object, *args: object, **options: object) -> object:
            seen.append(options)
            if limit.BUDGET_S < 1:  # a database slower than the budget
                await asyncio.sleep(1)
            return await answer(filter_, *args, **options)

        monkeypatch.setattr(stub, "find_one", find_one)
        path = f"/api/books/{book}"
        assert await call(limit.limit_app(budget=False), "GET", path) == 200
        assert await call(limit.limit_app(budget=True), "GET", path) == 200
        assert "max_time_ms" not in seen[0]
        assert 9000 < int(str(seen[1]["max_time_ms"])) <= 10_000
        monkeypatch.setattr(limit, "BUDGET_S", 0.05)
        assert await call(limit.limit_app(budget=True), "GET", path) == 503
