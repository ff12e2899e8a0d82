"""Fixtures: one database per run, on the lane's stand-in or server (see tests/backends.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
from beanie import Document, init_beanie
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI
from tests.backends import LANE, MONGODB_URL, close_client, new_client
from tests.models import ALL_MODELS

RUN_DATABASE = f"autoapi_test_{uuid.uuid4().hex[:12]}"

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]


def pytest_report_header() -> str:
    return f"autoapi test lane: {LANE}"


@pytest.fixture(scope="session", autouse=True)
def _drop_run_database() -> Iterator[None]:
    yield
    if MONGODB_URL:
        import pymongo

        pymongo.MongoClient(MONGODB_URL).drop_database(RUN_DATABASE)


@pytest.fixture
async def database() -> AsyncIterator[Any]:
    client = new_client()
    db = client[RUN_DATABASE]
    for name in await db.list_collection_names():
        await db.drop_collection(name)
    yield db
    if MONGODB_URL:
        await close_client(client)


@pytest.fixture
async def make_client(database: Any) -> AsyncIterator[MakeClient]:
    """`await make_client(models=[...], **AutoAPI options)` → an httpx client on /api."""
    clients: list[httpx.AsyncClient] = []

    async def make(
        models: Sequence[type[Document]] = ALL_MODELS, **options: Any
    ) -> httpx.AsyncClient:
        await init_beanie(database=database, document_models=list(models))
        api = AutoAPI(models=models, **options)
        app = Starlette(routes=[Mount("/api", app=api)])
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def client(make_client: MakeClient) -> httpx.AsyncClient:
    return await make_client()


def assert_problem(
    response: httpx.Response, status: int, field: str | None = None
) -> dict[str, Any]:
    """The response is problem+json with `status`; when `field` is given, an error names it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str)
    if field is not None:
        named = [e["field"] for e in body.get("errors", [])]
        assert field in named or field in body["detail"], body
    return body
