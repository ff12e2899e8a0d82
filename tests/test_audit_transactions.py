"""Audit events in the change's transaction where the server runs transactions.

No replica set or mongos can run here, so detection is tested with fake `hello` answers and
the transactional path with a fake session; the path without transactions (the event right
after the change) runs over HTTP on every lane.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from beanie import Document

from autoapi import store
from autoapi.store import scope as store_scope
from autoapi.store import transactions as store_transactions
from tests.conftest import MakeClient, assert_problem
from tests.models import Author


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"setName": "rs0", "isWritablePrimary": True}, True),  # replica-set primary
        ({"setName": "rs0", "secondary": True}, True),
        ({"msg": "isdbgrid", "isWritablePrimary": True}, True),  # mongos
        ({"isWritablePrimary": True, "maxWireVersion": 21}, False),  # standalone
        ({"setName": ""}, False),
        ({"msg": "other"}, False),
        ({}, False),  # a stand-in that has no `hello`
    ],
)
def test_transactions_from_hello(reply: dict[str, Any], expected: bool) -> None:
    assert store.transactions_from_hello(reply) is expected


class FakeSession:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def start_transaction(self) -> None:
        self.calls.append("start")

    async def commit_transaction(self) -> None:
        self.calls.append("commit")

    async def abort_transaction(self) -> None:
        self.calls.append("abort")

    def end_session(self) -> None:  # sync, as on Motor: both kinds are awaited alike
        self.calls.append("end")


class FakeClient:
    """Answers `hello` as told, and hands out one fake session."""

    def __init__(self, hello: dict[str, Any]) -> None:
        self.hello = hello
        self.asked = 0
        self.session = FakeSession()
        self.admin = self

    async def command(self, name: str) -> dict[str, Any]:
        assert name == "hello"
        self.asked += 1
        return self.hello

    def start_session(self) -> FakeSession:
        return self.session


class FakeCollection:
    def __init__(self, client: FakeClient) -> None:
        self.database = self
        self.client = client
        self.inserted: list[tuple[dict[str, Any], Any]] = []

    def __getitem__(self, name: str) -> FakeCollection:
        return self

    async def insert_one(self, doc: dict[str, Any], session: Any = None) -> None:
        self.inserted.append((doc, session))


def on_client(monkeypatch: pytest.MonkeyPatch, hello: dict[str, Any]) -> FakeCollection:
    coll = FakeCollection(FakeClient(hello))
    monkeypatch.setattr(store_scope, "base_collection", lambda model: coll)
    return coll


async def test_hello_is_asked_once_per_client(monkeypatch: pytest.MonkeyPatch) -> None:
    replica = on_client(monkeypatch, {"setName": "rs0"})
    assert await store.supports_transactions(Author) is True
    assert await store.supports_transactions(Author) is True
    assert replica.client.asked == 1
    standalone = on_client(monkeypatch, {"isWritablePrimary": True})
    assert await store.supports_transactions(Author) is False
    assert standalone.client.asked == 1


async def test_writes_in_the_block_share_the_transactions_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coll = on_client(monkeypatch, {"msg": "isdbgrid"})
    session = coll.client.session
    async with store.transaction(Author) as transactional:
        assert transactional and store.in_transaction()
        await store.insert_event(Author, "audit_log", {"n": 1})
        async with store.transaction(Author) as joined:  # a nested block joins it
            assert joined
            await store.insert_event(Author, "audit_log", {"n": 2})
        assert session.calls == ["start"]
    assert [s for _, s in coll.inserted] == [session, session]
    assert session.calls == ["start", "commit", "end"] and not store.in_transaction()


async def test_an_error_in_the_block_aborts(monkeypatch: pytest.MonkeyPatch) -> None:
    session = on_client(monkeypatch, {"setName": "rs0"}).client.session
    with pytest.raises(RuntimeError):
        async with store.transaction(Author):
            raise RuntimeError("the audit insert failed")
    assert session.calls == ["start", "abort", "end"]


async def test_without_transactions_the_block_runs_plainly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coll = on_client(monkeypatch, {})
    async with store.transaction(Author) as transactional:
        assert not transactional and not store.in_transaction()
        await store.insert_event(Author, "audit_log", {"n": 1})
    assert coll.inserted == [({"n": 1}, None)] and coll.client.session.calls == []


# -- over HTTP ---------------------------------------------------------------------------


async def test_the_stand_in_has_no_transactions_and_events_follow_the_change(
    make_client: MakeClient, database: Any
) -> None:
    api = await make_client(audit="audit_log")
    made = await api.post("/api/authors", json={"firstName": "A", "lastName": "B"})
    assert made.status_code == 201
    assert await store.supports_transactions(Author) is False
    assert [e["action"] for e in await database["audit_log"].find({}).to_list(None)] == ["create"]


def fake_transactions(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[Any]]:
    """Every write handler's transaction faked: what happened to it, and the session each
    database call of the block would have carried (the stand-ins take no sessions)."""
    happened: list[str] = []
    sessions: list[Any] = []
    marker = object()

    @asynccontextmanager
    async def transaction(model: type[Document]) -> AsyncIterator[bool]:
        token = store_transactions._session.set(marker)
        try:
            yield True
        except BaseException:
            happened.append("abort")
            raise
        finally:
            store_transactions._session.reset(token)
        happened.append("commit")

    def with_session(session: Any = None) -> dict[str, Any]:
        sessions.append(store_transactions._session.get() is marker)
        return {}

    monkeypatch.setattr(store, "transaction", transaction)
    monkeypatch.setattr(store_transactions, "with_session", with_session)
    return happened, sessions


async def test_the_write_and_its_event_share_one_transaction(
    make_client: MakeClient, database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = await make_client(audit="audit_log")
    happened, sessions = fake_transactions(monkeypatch)
    made = await api.post("/api/authors", json={"firstName": "A", "lastName": "B"})
    ident = made.json()["_id"]
    await api.patch(f"/api/authors/{ident}", json={"lastName": "C"})
    await api.delete(f"/api/authors/{ident}")
    assert happened == ["commit", "commit", "commit"]
    assert sessions and all(sessions)  # every call, the audit inserts included, in it
    assert len(await database["audit_log"].find({}).to_list(None)) == 3


async def test_a_failed_event_undoes_the_change_in_a_transaction(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = await make_client(audit="audit_log")
    happened, _ = fake_transactions(monkeypatch)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("event collection refused the write")

    monkeypatch.setattr(store, "insert_event", broken)
    sent = await api.post("/api/authors", json={"firstName": "A", "lastName": "B"})
    body = assert_problem(sent, 500)
    assert body["code"] == "audit_failed" and "not made" in body["detail"]
    assert happened == ["abort"]
