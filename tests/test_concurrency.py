"""Acceptance over a real driver: concurrent writes, stored data a write must keep, and a
database that dies or freezes mid-flight (503 within the time budget, never a 500 or a hang)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from typing import Any

import httpx
import pytest
from beanie import Document, init_beanie
from bson import ObjectId
from pydantic import create_model
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI
from tests.backends import (
    WireServer,
    close_client,
    new_client,
    private_wire_server,
    raw_collection,
    skip_gap,
)
from tests.conftest import MakeClient, assert_problem
from tests.models import Author

FIELDS = 50
Wide = create_model(  # f0 … f49, one per concurrent PATCH
    "Wide", __base__=Document, **{f"f{i}": (int, 0) for i in range(FIELDS)}
)


class Gauge(Document):
    name: str

    class Settings:
        name = "gauges"


# --- concurrent writes -------------------------------------------------------------------------


async def test_fifty_concurrent_patches_of_fifty_fields_keep_all(make_client: MakeClient) -> None:
    skip_gap("interleaving")
    client = await make_client(models=[Wide])
    created = await client.post("/api/Wide", json={})
    assert created.status_code == 201, created.text
    doc_id = created.json()["_id"]
    answers = await asyncio.gather(
        *(client.patch(f"/api/Wide/{doc_id}", json={f"f{i}": i + 1}) for i in range(FIELDS))
    )
    assert [a.status_code for a in answers] == [200] * FIELDS
    stored = await raw_collection(Wide).find_one({"_id": ObjectId(doc_id)})
    lost = [i for i in range(FIELDS) if stored.get(f"f{i}") != i + 1]
    assert not lost, f"{len(lost)} of {FIELDS} concurrent changes lost: fields {lost}"


async def test_put_keeps_a_stored_key_the_model_does_not_declare(
    make_client: MakeClient,
) -> None:
    client = await make_client(models=[Author])
    doc_id = ObjectId()
    await raw_collection(Author).insert_one(
        {"_id": doc_id, "firstName": "Ann", "lastName": "Old", "legacy": {"kept": True}}
    )
    response = await client.put(f"/api/authors/{doc_id}", json={"lastName": "New"})
    assert response.status_code == 200, response.text
    stored = await raw_collection(Author).find_one({"_id": doc_id})
    assert stored["lastName"] == "New"
    assert stored.get("legacy") == {"kept": True}, stored


# --- a database that dies or freezes ---------------------------------------------------------

BUDGET_MS = 1500
SLACK_S = 1.5  # event loop, connection teardown and a loaded 2-core machine
HANG_S = 8.0  # past this a request counts as hung and is abandoned


@asynccontextmanager
async def api_on(server: WireServer) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """An app on a database of `server`, holding one gauge; yields the HTTP client and its id."""
    driver = new_client(server.uri)
    try:
        await init_beanie(
            database=driver[f"autoapi_{uuid.uuid4().hex[:8]}"], document_models=[Gauge]
        )
        gauge = Gauge(name="g")
        await gauge.insert()
        api = AutoAPI(models=[Gauge], max_time_ms=BUDGET_MS)
        app = Starlette(routes=[Mount("/api", app=api)])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/api/gauges")).status_code == 200  # connected and warm
            yield client, str(gauge.id)
    finally:
        await asyncio.wait_for(close_client(driver), HANG_S)


async def timed(request: Any) -> tuple[float, httpx.Response | None]:
    """(seconds, answer); None when the request was still running after HANG_S."""
    start = time.monotonic()
    try:
        response = await asyncio.wait_for(request, HANG_S)
    except TimeoutError:
        return time.monotonic() - start, None
    return time.monotonic() - start, response


def assert_unavailable_in_time(label: str, seconds: float, response: httpx.Response | None) -> None:
    assert response is not None, f"{label}: no answer after {seconds:.1f} s (a hang)"
    assert_problem(response, 503)
    assert "retry-after" in response.headers, f"{label}: 503 without Retry-After"
    limit = BUDGET_MS / 1000 + SLACK_S
    assert seconds <= limit, f"{label}: 503 after {seconds:.1f} s, budget {limit:.1f} s"


@contextmanager
def frozen(pid: int) -> Iterator[None]:
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.mark.parametrize("fault", ["killed", "frozen"])
async def test_a_dead_or_frozen_database_answers_503_within_the_budget(fault: str) -> None:
    skip_gap("a server process")
    with private_wire_server() as server:
        async with api_on(server) as (client, gauge_id):
            if fault == "killed":
                server.process.kill()
                server.process.wait()
            with frozen(server.pid) if fault == "frozen" else nullcontext():
                results = await asyncio.gather(
                    timed(client.get("/api/gauges")),
                    timed(client.get(f"/api/gauges/{gauge_id}")),
                    timed(client.post("/api/gauges", json={"name": "new"})),
                )
            for label, (seconds, response) in zip(("list", "get", "post"), results, strict=True):
                assert_unavailable_in_time(f"{fault}, {label}", seconds, response)
