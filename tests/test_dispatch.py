"""Routing by first segment answers exactly as Starlette's router over every route would,
while matching a request against its own collection's routes only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from autoapi import AutoAPI
from autoapi.dispatch import first_segment, grouped
from tests.conftest import MakeClient
from tests.models import ALL_MODELS


async def _nothing(request: Any) -> Any:
    raise AssertionError("never called")


@pytest.mark.parametrize(
    ("path", "root_path", "segment"),
    [
        ("/api/books/1", "/api", "books"),
        ("/api/books", "/api", "books"),
        ("/api/books/", "/api", "books"),
        ("/api", "/api", ""),
        ("/api/", "/api", ""),
        ("/books/1/author", "", "books"),
        ("/openapi.json", "", "openapi.json"),
        ("/other/books", "/api", "other"),  # a path outside the mount: as it comes
    ],
)
def test_first_segment(path: str, root_path: str, segment: str) -> None:
    assert first_segment({"path": path, "root_path": root_path}) == segment


def test_routes_are_grouped_by_first_segment_in_order() -> None:
    a, b, c = Route("/a", _nothing), Route("/b/{id}", _nothing), Route("/a/{id}/x", _nothing)
    assert grouped([a, b, c]) == {"a": [a, c], "b": [b]}


@pytest.mark.parametrize("first", ["/{name}", "/"])
def test_a_route_not_under_a_literal_segment_turns_grouping_off(first: str) -> None:
    assert grouped([Route("/a", _nothing), Route(first, _nothing)]) == {}


REQUESTS = [
    ("GET", "/api/books"),
    ("GET", "/api/books/"),
    ("GET", "/api/books/not-an-id"),
    ("GET", "/api/books/507f1f77bcf86cd799439011/author"),
    ("GET", "/api/books/507f1f77bcf86cd799439011/nothing"),
    ("GET", "/api/books/1/2/3"),
    ("PUT", "/api/books"),
    ("OPTIONS", "/api/books"),
    ("HEAD", "/api/authors"),
    ("GET", "/api/nothing"),
    ("GET", "/api"),
    ("GET", "/api/"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/api/docs/assets/nothing.js"),
]


@pytest.mark.parametrize(("method", "path"), REQUESTS)
async def test_every_answer_is_the_full_routers(
    make_client: MakeClient, method: str, path: str
) -> None:
    client = await make_client(models=ALL_MODELS)
    api = _api_of(client)
    dispatched = await client.request(method, path)
    api.dispatch = api.router  # type: ignore[assignment]  # every route, in order
    alone = await client.request(method, path)
    assert dispatched.status_code == alone.status_code
    assert dispatched.content == alone.content
    assert dispatched.headers.get("location") == alone.headers.get("location")
    assert dispatched.headers.get("allow") == alone.headers.get("allow")


async def test_a_request_is_matched_against_its_collections_routes_only(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await make_client(models=ALL_MODELS)
    api = _api_of(client)
    tried: list[str] = []
    matches = Route.matches

    def counted(self: Route, scope: Any) -> Any:
        tried.append(self.path)
        return matches(self, scope)

    monkeypatch.setattr(Route, "matches", counted)
    last = ALL_MODELS[-1].Settings.name  # type: ignore[attr-defined]
    assert (await client.get(f"/api/{last}")).status_code == 200
    assert tried == [f"/{last}"]
    assert len(api.router.routes) > 10  # what one router alone would try in turn


def _api_of(client: httpx.AsyncClient) -> AutoAPI:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    assert isinstance(app, Starlette)
    mount = app.routes[0]
    assert isinstance(mount, Mount) and isinstance(mount.app, AutoAPI)
    return mount.app
