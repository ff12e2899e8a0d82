"""Audit events (`audit=`): one per changed document, right before/after, none for refusals."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from autoapi import Access
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS


async def test_collection_events_carry_before_and_after(
    make_client: MakeClient, database: Any
) -> None:
    def policy(request: Request, model: Any) -> Access:
        return Access(principal=request.headers.get("X-User"))

    api = await make_client(audit="audit_log", policy=policy)
    who = {"X-User": "ann", "X-Request-ID": "req-1"}
    made = await api.post("/api/authors", json={"firstName": "A", "lastName": "B"}, headers=who)
    ident = made.json()["_id"]
    await api.patch(f"/api/authors/{ident}", json={"lastName": "C"}, headers=who)
    await api.delete(f"/api/authors/{ident}", headers=who)
    events = await database["audit_log"].find({}, {"_id": 0}).to_list(None)
    assert [e["action"] for e in events] == ["create", "update", "delete"]
    create, update, delete = events
    assert create["before"] is None and create["after"]["lastName"] == "B"
    assert update["before"]["lastName"] == "B" and update["after"]["lastName"] == "C"
    assert delete["before"]["lastName"] == "C" and delete["after"] is None
    for event in events:
        assert event["collection"] == "authors" and event["id"] == ident
        assert event["principal"] == "ann" and event["request_id"] == "req-1"
        assert "secret" not in (event["before"] or {}) | (event["after"] or {})
        assert isinstance(event["at"], str)


@pytest.mark.parametrize("is_async", [False, True])
async def test_callable_sink(make_client: MakeClient, is_async: bool) -> None:
    events: list[dict[str, Any]] = []

    def sync_sink(event: dict[str, Any]) -> None:
        events.append(event)

    async def async_sink(event: dict[str, Any]) -> None:
        events.append(event)

    api = await make_client(audit=async_sink if is_async else sync_sink)
    made = await api.post("/api/books", json={"title": "t", "pages": 3})
    await api.put(f"/api/books/{made.json()['_id']}", json={"pages": 4})
    assert [(e["action"], (e["after"] or {}).get("pages")) for e in events] == [
        ("create", 3),
        ("update", 4),
    ]
    assert events[1]["before"]["pages"] == 3
    assert len(events[0]["request_id"]) == 32  # generated when the client sends none


async def test_refused_and_failed_writes_are_not_audited(make_client: MakeClient) -> None:
    events: list[dict[str, Any]] = []
    api = await make_client(audit=events.append)
    assert_problem(await api.post("/api/books", json={"title": 1}), 422)
    assert_problem(await api.post("/api/books", json={"bogus": 1}), 422)
    made = await api.post("/api/accounts", json={"email": "a@b.c"})
    assert_problem(await api.post("/api/accounts", json={"email": "a@b.c"}), 409)
    assert_problem(await api.delete("/api/books/000000000000000000000000"), 404)
    assert [e["id"] for e in events] == [made.json()["_id"]]


async def test_failed_event_is_500_and_change_stands(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("disk full")

    api = await make_client(audit=broken)
    response = await api.post("/api/books", json={"title": "kept"})
    body = assert_problem(response, 500)
    assert body["code"] == "audit_failed" and "disk" not in body["detail"]
    assert (await api.get("/api/books")).json()["items"][0]["title"] == "kept"
    assert any("'title': 'kept'" in r.getMessage() for r in caplog.records)


async def test_audit_option_checked(make_client: MakeClient) -> None:
    with pytest.raises(TypeError):
        await make_client(ALL_MODELS, audit=42)


@pytest.mark.parametrize("sent", [None, "proxy-7", "bad id with spaces"])
async def test_event_request_id_is_the_echoed_header(
    make_client: MakeClient, sent: str | None
) -> None:
    events: list[dict[str, Any]] = []
    api = await make_client(audit=events.append)
    headers = {} if sent is None else {"X-Request-ID": sent}
    made = await api.post("/api/books", json={"title": "t", "pages": 3}, headers=headers)
    echoed = made.headers["X-Request-ID"]
    assert [e["request_id"] for e in events] == [echoed]
    assert (echoed == sent) is (sent == "proxy-7")
