"""Hidden fields and stored data: a write never removes what the request did not name."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import pytest
from beanie import Delete, Document, Indexed, Insert, Update, after_event, before_event
from bson import ObjectId
from pydantic import BaseModel, Field

from autoapi import Hidden, ProblemError, store
from autoapi.roundtrips import counting
from tests.conftest import MakeClient, assert_problem

BEANIE_2 = store.BEANIE_2


class Profile(BaseModel):
    bio: str = ""
    born: int | None = None


class Member(Document):
    name: str
    email: str = ""
    pin: Annotated[str, Hidden] = "0000"
    token: Annotated[str, Indexed(unique=True), Hidden] = Field(
        default_factory=lambda: ObjectId().__str__()
    )
    note: str = Field("", exclude=True)
    profile: Profile = Field(default_factory=Profile)
    tags: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "members"


class Audited(Document):
    """Records the Beanie event actions the default writes fire."""

    name: str
    touched: int = 0
    seen: ClassVar[list[str]] = []

    class Settings:
        name = "audited"

    @before_event(Insert)
    def before_insert(self) -> None:
        Audited.seen.append("before insert")

    @before_event(Update)
    def before_update(self) -> None:
        Audited.seen.append("before update")
        self.touched += 1

    @after_event(Update)
    def after_update(self) -> None:
        Audited.seen.append("after update")

    @before_event(Delete)
    def before_delete(self) -> None:
        Audited.seen.append("before delete")

    @after_event(Delete)
    def after_delete(self) -> None:
        Audited.seen.append("after delete")


MODELS: list[type[Document]] = [Member, Audited]


async def stored(model: type[Document], ident: str) -> dict[str, Any]:
    raw = await store.collection(model).find_one({"_id": ObjectId(ident)})
    assert raw is not None
    return dict(raw)


async def new_member(client: Any, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/members", json={"name": "Ann", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_hidden_field_is_stored_but_never_sent(make_client: MakeClient) -> None:
    client = await make_client(models=MODELS)
    member = await new_member(client)
    assert "pin" not in member and "token" not in member and "note" not in member
    raw = await stored(Member, member["_id"])
    assert raw["pin"] == "0000" and len(raw["token"]) == 24
    # Beanie 2 stores nothing for `Field(exclude=True)`; Beanie 1 stores it
    assert ("note" in raw) is (not BEANIE_2)
    listed = (await client.get("/api/members")).json()["items"]
    assert all("pin" not in item and "token" not in item for item in listed)


@pytest.mark.parametrize("query", [
    "filter=pin=0000", "sort=pin", "fields=pin", "match=pin=0", 'where={"pin": "0000"}',
    "fields=-token", "sort=-note",
])
async def test_hidden_fields_are_unknown_in_query_options(
    make_client: MakeClient, query: str
) -> None:
    client = await make_client(models=MODELS)
    await new_member(client)
    body = assert_problem(await client.get(f"/api/members?{query}"), 400)
    assert "pin" not in body["detail"] or "unknown" in body["detail"]


@pytest.mark.parametrize("field", ["pin", "token", "note"])
async def test_hidden_fields_are_refused_in_bodies(make_client: MakeClient, field: str) -> None:
    client = await make_client(models=MODELS)
    assert_problem(await client.post("/api/members", json={"name": "A", field: "x"}), 422, field)
    member = await new_member(client)
    response = await client.patch(f"/api/members/{member['_id']}", json={field: "x"})
    assert_problem(response, 422, field)
    assert (await stored(Member, member["_id"])).get("pin") == "0000"


@pytest.mark.parametrize("verb", ["put", "patch"])
async def test_a_write_keeps_hidden_fields_and_undeclared_keys(
    make_client: MakeClient, verb: str
) -> None:
    client = await make_client(models=MODELS)
    member = await new_member(client, email="a@x")
    await store.collection(Member).update_one(
        {"_id": ObjectId(member["_id"])}, {"$set": {"legacy": {"kept": True}}}
    )
    before = await stored(Member, member["_id"])
    response = await getattr(client, verb)(f"/api/members/{member['_id']}", json={"name": "Bo"})
    assert response.status_code == 200, response.text
    after = await stored(Member, member["_id"])
    assert after == {**before, "name": "Bo"}
    assert after["legacy"] == {"kept": True} and after["pin"] == before["pin"]


async def test_an_embedded_object_is_written_leaf_by_leaf(make_client: MakeClient) -> None:
    client = await make_client(models=MODELS)
    member = await new_member(client, profile={"bio": "kept", "born": 1})
    url = f"/api/members/{member['_id']}"
    response = await client.patch(url, json={"profile": {"born": 2}})
    assert response.json()["profile"] == {"bio": "kept", "born": 2}
    assert (await stored(Member, member["_id"]))["profile"] == {"bio": "kept", "born": 2}
    await client.patch(url, json={"profile.bio": "dotted"})
    assert (await stored(Member, member["_id"]))["profile"] == {"bio": "dotted", "born": 2}


async def test_lists_and_dicts_are_replaced_and_null_stores_null(make_client: MakeClient) -> None:
    client = await make_client(models=MODELS)
    member = await new_member(client, tags=["a", "b"], meta={"x": 1, "y": 2})
    url = f"/api/members/{member['_id']}"
    await client.patch(url, json={"tags": ["c"], "meta": {"z": 3}})
    raw = await stored(Member, member["_id"])
    assert raw["tags"] == ["c"] and raw["meta"] == {"z": 3}
    await client.patch(url, json={"profile": {"born": None}})
    assert (await stored(Member, member["_id"]))["profile"]["born"] is None


async def test_an_update_is_one_atomic_command(make_client: MakeClient) -> None:
    client = await make_client(models=MODELS)
    member = await new_member(client)
    with counting() as trips:
        response = await client.patch(f"/api/members/{member['_id']}", json={"email": "e@x"})
    assert response.status_code == 200
    assert trips.calls == [("members", "find"), ("members", "findAndModify")]
    update_filter = trips.filters[-1]
    assert update_filter == {"_id": ObjectId(member["_id"])}


async def test_a_unique_clash_on_a_hidden_field_names_nothing(make_client: MakeClient) -> None:
    client = await make_client(models=MODELS)
    first = await new_member(client)
    token = (await stored(Member, first["_id"]))["token"]
    with pytest.raises(ProblemError) as info:
        await store.insert(Member(name="Dee", token=token))
    problem = info.value
    assert problem.status == 409 and problem.code == "conflict"
    assert "token" not in problem.detail and not problem.errors
    assert (await client.get("/api/members")).json()["total"] == 1


async def test_a_stored_document_that_no_longer_validates(make_client: MakeClient) -> None:
    client = await make_client(models=MODELS)
    result = await store.collection(Member).insert_one({"name": 42, "pin": ["not", "a", "pin"]})
    url = f"/api/members/{result.inserted_id}"
    got = await client.get(url)
    assert got.status_code == 200 and got.json()["name"] == 42 and "pin" not in got.json()
    fixable = await client.patch(url, json={"email": "e@x"})
    assert_problem(fixable, 409)
    assert fixable.json()["code"] == "stored_invalid" and "pin" not in fixable.text
    assert (await client.delete(url)).json() == {"success": True}
    assert (await client.get(url)).status_code == 404


async def test_a_visible_stored_fault_is_a_422_naming_it(make_client: MakeClient) -> None:
    client = await make_client(models=MODELS)
    result = await store.collection(Member).insert_one({"name": 42})
    url = f"/api/members/{result.inserted_id}"
    assert_problem(await client.patch(url, json={"email": "e@x"}), 422, "name")
    repaired = await client.patch(url, json={"name": "Fixed"})
    assert repaired.status_code == 200 and repaired.json()["name"] == "Fixed"


async def test_default_writes_fire_beanie_event_actions(make_client: MakeClient) -> None:
    client = await make_client(models=MODELS)
    Audited.seen.clear()
    created = (await client.post("/api/audited", json={"name": "a"})).json()
    url = f"/api/audited/{created['_id']}"
    patched = (await client.patch(url, json={"name": "b"})).json()
    assert patched["touched"] == 1  # a field the Update action changed is written too
    assert (await stored(Audited, created["_id"]))["touched"] == 1
    await client.delete(url)
    assert Audited.seen == [
        "before insert", "before update", "after update", "before delete", "after delete"
    ]


async def test_each_write_sets_a_new_revision(make_client: MakeClient) -> None:
    client = await make_client()
    doc = (await client.post("/api/versioned", json={"name": "v1"})).json()
    url = f"/api/versioned/{doc['_id']}"
    first = (await client.patch(url, json={"name": "v2"})).json()["revision_id"]
    second = (await client.put(url, json={"name": "v3"})).json()["revision_id"]
    assert len({doc["revision_id"], first, second}) == 3


async def test_max_limit_alone_sets_the_default_page_size(make_client: MakeClient) -> None:
    client = await make_client(models=MODELS, max_limit=5)
    for i in range(7):
        await new_member(client, name=f"m{i}")
    page = (await client.get("/api/members")).json()
    assert page["total"] == 7 and len(page["items"]) == 5
    assert_problem(await client.get("/api/members?limit=6"), 400, "limit")
