"""The README's quickstart runs as written: its models, its lifespan, its mount."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest

from tests.backends import BEANIE_MAJOR, MONGODB_URL, close_client, new_client

README = Path(__file__).resolve().parents[1] / "README.md"
REAL_CLIENT = pymongo.AsyncMongoClient


def quickstart_source() -> str:
    section = README.read_text().split("## Quickstart", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's Quickstart has a python block"
    return match.group(1)


class LaneClient:
    """Stands in for `AsyncMongoClient(url)`: the lane's client (a stand-in or the lane's
    server, on the installed Beanie line), closed the way the quickstart closes it."""

    def __init__(self, url: str, **options: Any) -> None:
        if MONGODB_URL and BEANIE_MAJOR >= 2:  # new_client would import this stand-in
            self.client = REAL_CLIENT(MONGODB_URL)
        else:
            self.client = new_client(MONGODB_URL)

    def __getitem__(self, name: str) -> Any:
        return self.client[name]

    async def close(self) -> None:
        if MONGODB_URL:
            await self.client.drop_database("library")
        await close_client(self.client)


async def test_the_quickstart_serves_its_two_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pymongo, "AsyncMongoClient", LaneClient)
    module = types.ModuleType("quickstart")
    monkeypatch.setitem(sys.modules, "quickstart", module)  # pydantic resolves names there
    exec(compile(quickstart_source(), "README quickstart", "exec"), module.__dict__)
    app = module.app
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://quickstart") as client,
    ):
        author = await client.post("/api/authors", json={"name": "Ann"})
        assert author.status_code == 201, author.text
        ann = author.json()["_id"]
        book = await client.post("/api/books", json={"title": "First", "author": ann})
        assert book.status_code == 201, book.text
        listed = (await client.get("/api/books?populate=author")).json()
        assert listed["total"] == 1
        assert listed["items"][0]["author"] == {"_id": ann, "name": "Ann"}
        reverse = (await client.get(f"/api/authors/{ann}/books")).json()
        assert [b["title"] for b in reverse["items"]] == ["First"]
