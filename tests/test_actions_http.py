"""Beanie event actions on the writes that are not one document's insert, update or delete:
create-or-update / create-or-replace (one upsert) and bulk PATCH / DELETE."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

import pytest
from beanie import Delete, Document, Insert, Replace, Update, after_event, before_event
from bson import ObjectId

from autoapi import store
from autoapi.roundtrips import counting
from tests.conftest import MakeClient

OID = "5d2620aff4df8b3c4f4f03d6"
BULK = ["list", "get", "post", "put", "patch", "delete", "bulk_patch", "bulk_delete"]
STAMP = datetime.datetime(2020, 1, 2, 3, 4, 5)


class Logged(Document):
    """Records every event action it sees; stamps `created` on insert, `edits` on update."""

    name: str
    kind: str = "plain"
    created: datetime.datetime | None = None
    edits: int = 0
    seen: ClassVar[list[str]] = []

    class Settings:
        name = "logged"
        use_revision = True

    @before_event(Insert)
    def before_insert(self) -> None:
        Logged.seen.append("before insert")
        self.created = STAMP

    @after_event(Insert)
    def after_insert(self) -> None:
        Logged.seen.append("after insert")

    @before_event(Update)
    def before_update(self) -> None:
        Logged.seen.append("before update")
        self.edits += 1

    @after_event(Update)
    def after_update(self) -> None:
        Logged.seen.append(f"after update {self.name}")

    @before_event(Replace)
    def before_replace(self) -> None:
        Logged.seen.append("before replace")

    @after_event(Replace)
    def after_replace(self) -> None:
        Logged.seen.append("after replace")

    @before_event(Delete)
    def before_delete(self) -> None:
        Logged.seen.append(f"before delete {self.name}")

    @after_event(Delete)
    def after_delete(self) -> None:
        Logged.seen.append(f"after delete {self.name}")


class Strict(Document):
    """A body without `must` cannot create one: its CoU can only update."""

    name: str
    must: str
    edits: int = 0

    class Settings:
        name = "strict"

    @before_event(Update)
    def before_update(self) -> None:
        Logged.seen.append("strict before update")
        self.edits += 1

    @after_event(Update)
    def after_update(self) -> None:
        Logged.seen.append(f"strict after update {self.name}")


@pytest.fixture
async def client(make_client: MakeClient) -> Any:
    Logged.seen.clear()
    return await make_client(models=[Logged], methods=BULK)


async def stored(ident: Any) -> dict[str, Any]:
    found = await store.collection(Logged).find_one({"_id": ident})
    assert found is not None
    return dict(found)


async def seed(*names: str, kind: str = "plain") -> list[ObjectId]:
    ids = [ObjectId() for _ in names]
    rows = [
        {"_id": i, "name": n, "kind": kind, "edits": 0} for i, n in zip(ids, names, strict=True)
    ]
    await store.collection(Logged).insert_many(rows)
    return ids


@pytest.mark.parametrize(("mode", "event"), [("CoU", "before update"), ("CoR", "before replace")])
async def test_an_upsert_that_creates_fires_insert_after_actions(
    client: Any, mode: str, event: str
) -> None:
    response = await client.post(
        "/api/logged", json={"_id": OID, "name": "a"}, headers={"X-HTTP-Method": mode}
    )
    assert response.status_code == 201, response.text
    assert Logged.seen == ["before insert", event, "after insert"]
    raw = await stored(ObjectId(OID))
    assert raw["created"] == STAMP  # a Before Insert change is written on creation


@pytest.mark.parametrize(("mode", "after"), [("CoU", "after update b"), ("CoR", "after replace")])
async def test_an_upsert_of_an_existing_document_fires_its_update_or_replace(
    client: Any, mode: str, after: str
) -> None:
    (ident,) = await seed("a")
    with counting() as trips:
        response = await client.post(
            "/api/logged", json={"_id": str(ident), "name": "b"}, headers={"X-HTTP-Method": mode}
        )
    assert response.status_code == 200, response.text
    assert Logged.seen[-1] == after and "after insert" not in Logged.seen
    assert trips.calls[0] == ("logged", "findAndModify")  # still no read before the upsert
    raw = await stored(ident)
    # Insert-only changes of fields the body leaves out are not written on update...
    assert raw["name"] == "b" and raw.get("created") is None
    # ...while what an Update action sets is written either way (it sees the body, not the
    # stored document: `edits` counts from the default)
    assert raw["edits"] == (1 if mode == "CoU" else 0)


async def test_an_update_only_upsert_runs_update_actions_only(make_client: MakeClient) -> None:
    Logged.seen.clear()
    client = await make_client(models=[Strict])
    ident = ObjectId()
    await store.collection(Strict).insert_one({"_id": ident, "name": "a", "must": "m"})
    response = await client.post(
        "/api/strict", json={"_id": str(ident), "name": "z"}, headers={"X-HTTP-Method": "CoU"}
    )
    assert response.status_code == 200, response.text
    assert Logged.seen == ["strict before update", "strict after update z"]
    assert (await store.collection(Strict).find_one({"_id": ident}))["edits"] == 1


async def test_bulk_patch_fires_update_per_document_in_one_command(client: Any) -> None:
    ids = await seed("a", "b", "c")
    with counting() as trips:
        response = await client.patch("/api/logged?filter=kind=plain", json={"kind": "done"})
    assert response.json() == {"matched": 3, "modified": 3}, response.text
    assert [c for c in trips.calls if c[1] != "find"] == [("logged", "update")]
    assert Logged.seen.count("before update") == 3
    assert sorted(s for s in Logged.seen if s.startswith("after")) == [
        "after update a",
        "after update b",
        "after update c",
    ]
    docs = [await stored(i) for i in ids]
    assert all(d["kind"] == "done" and d["edits"] == 1 for d in docs)  # each action's change


async def test_bulk_patch_gives_each_document_its_own_revision(client: Any) -> None:
    ids = await seed("a", "b")
    response = await client.patch("/api/logged?filter=kind=plain", json={"kind": "x"})
    assert response.status_code == 200, response.text
    revisions = [(await stored(i))["revision_id"] for i in ids]
    assert None not in revisions and revisions[0] != revisions[1]
    etags = [(await client.get(f"/api/logged/{i}")).headers["etag"] for i in ids]
    assert etags[0] != etags[1]


async def test_bulk_delete_fires_delete_per_document(client: Any) -> None:
    await seed("a", "b")
    await seed("keep", kind="other")
    response = await client.delete("/api/logged?filter=kind=plain")
    assert response.json() == {"deleted": 2}, response.text
    assert sorted(Logged.seen) == [
        "after delete a",
        "after delete b",
        "before delete a",
        "before delete b",
    ]
    assert await store.collection(Logged).count_documents({}) == 1


async def test_bulk_delete_reads_only_ids_without_delete_actions(make_client: MakeClient) -> None:
    class Quiet(Document):
        name: str

        class Settings:
            name = "quiet"

    client = await make_client(models=[Quiet], methods=BULK)
    await store.collection(Quiet).insert_many([{"name": "a"}, {"name": "b"}])
    assert not store.has_actions(Quiet, "delete") and store.has_actions(Logged, "delete")
    response = await client.delete("/api/quiet?filter=name=a")
    assert response.json() == {"deleted": 1}, response.text
