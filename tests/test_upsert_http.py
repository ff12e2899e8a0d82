"""Create-or-update (`X-HTTP-Method: CoU`) and create-or-replace (`CoR`): one upsert."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from autoapi import store
from autoapi.roundtrips import counting
from tests.backends import skip_gap
from tests.conftest import MakeClient, assert_problem
from tests.models import Author, Book, Thing

OID = "5d2620aff4df8b3c4f4f03d6"


def cou(mode: str = "CoU") -> dict[str, str]:
    return {"X-HTTP-Method": mode}


async def stored(model: Any, ident: Any) -> dict[str, Any]:
    found = await store.collection(model).find_one({"_id": ident})
    assert found is not None
    return dict(found)


@pytest.mark.parametrize("mode", ["CoU", "cou", "COR", "cor"])
async def test_creates_then_updates_with_201_then_200(make_client: MakeClient, mode: str) -> None:
    client = await make_client()
    first = await client.post(
        "/api/books", json={"_id": OID, "title": "One", "pages": 3}, headers=cou(mode)
    )
    assert first.status_code == 201, first.text
    assert first.headers["location"].endswith(f"/books/{OID}")
    assert first.json()["title"] == "One" and first.json()["isGood"] is False
    again = await client.post("/api/books", json={"_id": OID, "title": "Two"}, headers=cou(mode))
    assert again.status_code == 200, again.text
    assert again.json()["title"] == "Two"
    assert again.headers["etag"] == (await client.get(f"/api/books/{OID}")).headers["etag"]
    assert (await client.get("/api/books")).json()["total"] == 1


async def test_cou_merges_and_null_removes_cor_replaces_keeping_hidden_and_undeclared(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    author = Author(firstName="A", lastName="B", secret="s")  # type: ignore[call-arg]
    await author.insert()
    await store.collection(Author).update_one(
        {"_id": author.id}, {"$set": {"extra": 1, "secret": "s"}}
    )
    body = {"_id": str(author.id), "firstName": "Z", "birthday": None}
    merged = await client.post("/api/authors", json=body, headers=cou("CoU"))
    assert merged.status_code == 200, merged.text
    raw = await stored(Author, author.id)
    assert raw["firstName"] == "Z" and raw["lastName"] == "B" and "birthday" not in raw
    replaced = await client.post(
        "/api/authors",
        json={"_id": str(author.id), "firstName": "Q", "lastName": "R"},
        headers=cou("CoR"),
    )
    assert replaced.status_code == 200, replaced.text
    raw = await stored(Author, author.id)
    assert raw["firstName"] == "Q" and raw["biography"] == {"description": "", "born": None}
    assert raw["extra"] == 1 and raw["secret"] == "s"


@pytest.mark.parametrize("mode", ["CoU", "CoR"])
async def test_no_read_before_the_upsert(make_client: MakeClient, mode: str) -> None:
    client = await make_client()
    for label in ("created", "updated"):
        with counting() as trips:
            response = await client.post(
                "/api/things", json={"_id": "k1", "label": label}, headers=cou(mode)
            )
        assert response.status_code in (200, 201), response.text
        assert trips.calls[0] == ("things", "findAndModify")


@pytest.mark.parametrize("mode", ["CoU", "CoR"])
async def test_an_upsert_is_one_round_trip(make_client: MakeClient, mode: str) -> None:
    skip_gap("findAndModify")
    client = await make_client()
    for label in ("created", "updated"):
        with counting() as trips:
            response = await client.post(
                "/api/things", json={"_id": "k1", "label": label}, headers=cou(mode)
            )
        assert response.status_code in (200, 201), response.text
        assert trips.calls == [("things", "findAndModify")]


async def test_create_branch_validates_the_whole_document(make_client: MakeClient) -> None:
    client = await make_client()
    missing = await client.post("/api/books", json={"_id": OID, "pages": 2}, headers=cou())
    assert_problem(missing, 422, "title")
    assert await Book.find_all().count() == 0
    bad = await client.post(
        "/api/books", json={"_id": OID, "title": "T", "pages": "many"}, headers=cou()
    )
    assert_problem(bad, 422, "pages")
    await Book(id=ObjectId(OID), title="T").insert()
    partial = await client.post("/api/books", json={"_id": OID, "pages": 9}, headers=cou())
    assert (
        partial.status_code == 200
        and partial.json()["pages"] == 9
        and partial.json()["title"] == "T"
    )
    assert_problem(
        await client.post("/api/books", json={"_id": OID, "pages": "x"}, headers=cou()),
        422,
        "pages",
    )


async def test_a_fault_in_a_given_value_names_only_what_the_body_gives(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    await client.post("/api/authors", json={"_id": OID, "firstName": "A", "lastName": "B"})
    for body in ({"firstName": None}, {"firstName": 5}):  # null removes: a required key
        sent = await client.post("/api/authors", json={"_id": OID, **body}, headers=cou())
        found = assert_problem(sent, 422, "firstName")
        assert [e["field"] for e in found["errors"]] == ["firstName"]  # lastName is stored
        assert (await stored(Author, ObjectId(OID)))["firstName"] == "A"
    whole = await client.post("/api/authors", json={"_id": OID, "firstName": None},
                              headers=cou("CoR"))  # a replacement names every field it needs
    assert {e["field"] for e in assert_problem(whole, 422)["errors"]} == {"firstName", "lastName"}


async def test_without_id_both_create_and_unknown_values_are_400(make_client: MakeClient) -> None:
    client = await make_client()
    for mode in ("CoU", "CoR"):
        made = await client.post("/api/things", json={"_id": f"id-{mode}"}, headers=cou(mode))
        assert made.status_code == 201
        made = await client.post("/api/books", json={"title": mode}, headers=cou(mode))
        assert made.status_code == 201 and made.headers["location"]
    assert_problem(await client.post("/api/books", json={"title": "x"}, headers=cou("upsert")), 400)


async def test_custom_hooks_override_cou_and_cor(make_client: MakeClient) -> None:
    calls: list[str] = []

    class Hooked(Thing):
        @classmethod
        async def apiCoU(cls, data: dict[str, Any], request: Any) -> Any:
            calls.append("cou")
            doc = cls(id=data["_id"], label="from hook")
            await store.insert(doc)
            return doc

        class Settings:
            name = "hooked"

    client = await make_client(models=[Hooked])
    response = await client.post("/api/hooked", json={"_id": "h"}, headers=cou())
    assert response.status_code == 201 and response.json()["label"] == "from hook"
    assert calls == ["cou"]
    replaced = await client.post("/api/hooked", json={"_id": "h", "label": "r"}, headers=cou("CoR"))
    assert replaced.status_code == 200 and replaced.json()["label"] == "r"
