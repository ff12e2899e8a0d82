"""Fixtures: one database per run (mongomock-motor, or a real server when MONGODB_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
from beanie import Document, init_beanie
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI
from tests.models import ALL_MODELS

MONGODB_URL = os.environ.get("MONGODB_URL")
RUN_DATABASE = f"autoapi_test_{uuid.uuid4().hex[:12]}"

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]


def new_client() -> Any:
    """The one switch between the stand-in and a real server."""
    import beanie

    beanie2 = int(beanie.__version__.split(".")[0]) >= 2
    if MONGODB_URL:
        if beanie2:
            import pymongo

            return pymongo.AsyncMongoClient(MONGODB_URL)
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient(MONGODB_URL)
    if beanie2:
        import mongomock.database
        from pymongo_async_mock import AsyncMongoMockClient as MockClient

        original = mongomock.database.Database.list_collection_names
        if not getattr(original, "shimmed", False):

            def names(self: Any, filter: Any = None, session: Any = None, **_: Any) -> Any:
                return original(self, filter, session)

            names.shimmed = True  # type: ignore[attr-defined]
            mongomock.database.Database.list_collection_names = names  # type: ignore[method-assign]
        return MockClient()
    from mongomock_motor import AsyncMongoMockClient

    return AsyncMongoMockClient()


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
        client.close()


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
