"""The policy and the write checks on the paths beside the single-document routes:
create-or-update, bulk PATCH / DELETE, bulk POST, counts and reverse routes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bson import ObjectId
from starlette.requests import Request

from autoapi import Access, tenant_policy
from autoapi.roundtrips import counting as round_trips
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS, Book
from tests.tenant_models import TENANT_MODELS, Country

A = {"X-Tenant-ID": "acme"}
B = {"X-Tenant-ID": "beta"}
BULK = ["list", "get", "post", "put", "patch", "delete", "options", "bulk_patch", "bulk_delete"]
MISSING = str(ObjectId())


@pytest.fixture
async def tenants(make_client: MakeClient) -> httpx.AsyncClient:
    return await make_client(TENANT_MODELS, policy=tenant_policy(shared=[Country]), methods=BULK)


async def made(api: httpx.AsyncClient, path: str, body: Any, headers: Any = None) -> str:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["_id"])


@pytest.mark.parametrize("mode", ["CoU", "CoR"])
async def test_create_or_write_on_another_tenants_id_is_409_and_changes_nothing(
    tenants: httpx.AsyncClient, mode: str
) -> None:
    theirs = await made(tenants, "/api/notes", {"title": "kept"}, A)
    headers = {**B, "X-HTTP-Method": mode}
    body = {"_id": theirs, "title": "taken"}
    taken = await tenants.post("/api/notes", json=body, headers=headers)
    assert_problem(taken, 409)
    kept = (await tenants.get(f"/api/notes/{theirs}", headers=A)).json()
    assert (kept["title"], kept["tenant"]) == ("kept", "acme")
    assert (await tenants.get("/api/notes", headers=B)).json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [({"tenant": "beta"}, "tenant"), ({"pages": 2, "tenant": "beta"}, "tenant")],
)
async def test_bulk_patch_may_not_change_a_stamp(
    tenants: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    mine = await made(tenants, "/api/notes", {"title": "t"}, A)
    response = await tenants.patch("/api/notes?filter=title=t", json=body, headers=A)
    assert_problem(response, 403, field)
    kept = (await tenants.get(f"/api/notes/{mine}", headers=A)).json()
    assert (kept["tenant"], kept["pages"]) == ("acme", 0)
    same = await tenants.patch("/api/notes?filter=title=t", json={"tenant": "acme"}, headers=A)
    assert same.status_code == 200


def _narrow(request: Request, model: Any) -> Access:
    return Access(write_fields={"title"}, read_fields={"title", "pages"})


@pytest.fixture
async def narrow(make_client: MakeClient) -> httpx.AsyncClient:
    return await make_client(ALL_MODELS, policy=_narrow, methods=BULK)


async def test_bulk_patch_honours_write_fields(narrow: httpx.AsyncClient) -> None:
    ident = await made(narrow, "/api/books", {"title": "t"})
    assert_problem(await narrow.patch("/api/books?filter=title=t", json={"pages": 5}), 403, "pages")
    assert (await narrow.get(f"/api/books/{ident}")).json()["pages"] == 0
    ok = await narrow.patch("/api/books?filter=title=t", json={"title": "u"})
    assert ok.json() == {"matched": 1, "modified": 1}


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize(
    ("query", "param"), [("filter=price=9.5", "filter"), ('where={"price":{"$gt":1}}', "where")]
)
async def test_bulk_filters_know_only_the_readable_fields(
    narrow: httpx.AsyncClient, method: str, query: str, param: str
) -> None:
    ident = await made(narrow, "/api/books", {"title": "t"})
    body = {"title": "u"} if method == "PATCH" else None
    response = await narrow.request(method, f"/api/books?{query}", json=body)
    assert_problem(response, 400, param)
    assert (await narrow.get(f"/api/books/{ident}")).json()["title"] == "t"


async def test_bulk_patch_refuses_a_link_to_a_missing_document(make_client: MakeClient) -> None:
    api = await make_client(ALL_MODELS, methods=BULK)
    ident = await made(api, "/api/books", {"title": "t"})
    response = await api.patch("/api/books?filter=title=t", json={"author": MISSING})
    assert_problem(response, 422, "author")
    assert (await api.get(f"/api/books/{ident}")).json()["author"] is None


async def test_bulk_writes_record_one_event_per_document(make_client: MakeClient) -> None:
    events: list[dict[str, Any]] = []
    api = await make_client(ALL_MODELS, methods=BULK, audit=events.append)
    ids = [await made(api, "/api/books", {"title": "t", "pages": n}) for n in (1, 2)]
    await made(api, "/api/books", {"title": "other"})
    events.clear()
    patched = await api.patch("/api/books?filter=title=t", json={"isbn": "9"})
    assert patched.json() == {"matched": 2, "modified": 2}
    deleted = await api.delete("/api/books?filter=title=t")
    assert deleted.json() == {"deleted": 2}
    assert [(e["action"], e["id"]) for e in events] == [
        *(("update", i) for i in ids), *(("delete", i) for i in ids)
    ]
    for event, pages in zip(events, (1, 2, 1, 2), strict=True):
        assert event["before"]["pages"] == pages
    assert [e["before"]["isbn"] for e in events] == ["", "", "9", "9"]
    assert [e["after"]["isbn"] for e in events[:2]] == ["9", "9"]
    assert [e["after"] for e in events[2:]] == [None, None]


async def test_bulk_post_checks_all_links_in_one_query_and_names_the_item(
    make_client: MakeClient,
) -> None:
    api = await make_client(ALL_MODELS)
    author = await made(api, "/api/authors", {"firstName": "a", "lastName": "b"})
    items = [{"title": "ok", "author": author}, {"title": "bad", "author": MISSING}] * 10
    with round_trips() as trips:
        response = await api.post("/api/books", json=items)
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == [f"[{i}].author" for i in range(1, 20, 2)]
    assert trips.calls.count(("authors", "find")) == 1
    assert (await api.get("/api/books")).json()["total"] == 0


def _fr_only(request: Request, model: Any) -> Access:
    return Access(filter={"country": "fr"})


async def test_an_estimate_under_a_row_filter_is_an_exact_count(make_client: MakeClient) -> None:
    api = await make_client(ALL_MODELS, policy=_fr_only, max_count=2)
    for n in range(3):
        await made(api, "/api/publishers", {"name": f"p{n}", "country": "fr"})
    body = (await api.get("/api/publishers?count=estimated&limit=1")).json()
    assert (body["total"], body.get("total_truncated")) == (2, True)
    assert "total_estimated" not in body


@pytest.mark.parametrize("stored", ["not a link", {"x": 1}])
async def test_a_stored_link_that_is_no_link_is_repaired_or_named(
    client: httpx.AsyncClient, database: Any, stored: Any
) -> None:
    ident = ObjectId()
    await database[Book.get_collection_name()].insert_one(
        {"_id": ident, "title": "t", "author": stored}
    )
    assert (await client.get(f"/api/books/{ident}")).status_code == 200
    assert_problem(await client.patch(f"/api/books/{ident}", json={"isbn": "1"}), 422, "author")
    repaired = await client.patch(f"/api/books/{ident}", json={"author": None})
    assert repaired.status_code == 200, repaired.text
    assert repaired.json()["author"] is None


async def test_a_reverse_route_checks_its_options_before_its_parent(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"/api/authors/{MISSING}/books?limit=abc")
    assert_problem(response, 400, "limit")
    assert_problem(await client.get(f"/api/authors/{MISSING}/books"), 404)


@pytest.mark.parametrize(("mode", "action"), [("CoU", "update"), ("CoR", "replace")])
async def test_a_create_or_write_that_changes_a_document_records_it_before(
    make_client: MakeClient, mode: str, action: str
) -> None:
    events: list[dict[str, Any]] = []
    api = await make_client(ALL_MODELS, audit=events.append)
    ident = await made(api, "/api/books", {"title": "old", "pages": 3})
    body = {"_id": ident, "title": "new"}
    changed = await api.post("/api/books", json=body, headers={"X-HTTP-Method": mode})
    assert changed.status_code == 200, changed.text
    event = events[-1]
    assert (event["action"], event["before"]["title"], event["after"]["title"]) == (
        action, "old", "new"
    )
    new_id = str(ObjectId())
    fresh = await api.post("/api/books", json={**body, "_id": new_id},
                           headers={"X-HTTP-Method": mode})
    assert fresh.status_code == 201
    last = events[-1]
    assert (last["action"], last["before"], last["id"]) == ("create", None, new_id)


@pytest.mark.parametrize("tenant", ["admin", "local", "config"])
async def test_a_tenant_without_a_valid_database_is_a_400_on_shared_models_too(
    make_client: MakeClient, tenant: str
) -> None:
    policy = tenant_policy(shared=[Country], database=lambda name: name)
    api = await make_client(TENANT_MODELS, policy=policy)
    headers = {"X-Tenant-ID": tenant}
    assert_problem(await api.get("/api/countries", headers=headers), 400, "X-Tenant-ID")
    assert_problem(await api.get("/api/notes", headers=headers), 400, "X-Tenant-ID")


def _names_only(request: Request, model: Any) -> Access:
    return Access(read_fields={"name"})


async def test_a_unique_clash_names_no_field_outside_read_fields(make_client: MakeClient) -> None:
    api = await make_client(ALL_MODELS, policy=_names_only)
    assert (await api.post("/api/accounts", json={"email": "a@x", "name": "a"})).status_code == 201
    clash = await api.post("/api/accounts", json={"email": "a@x", "name": "b"})
    body = assert_problem(clash, 409)
    assert "email" not in body["detail"] and "errors" not in body
    shown = await make_client(ALL_MODELS)
    named = assert_problem(await shown.post("/api/accounts", json={"email": "a@x"}), 409)
    assert [e["field"] for e in named["errors"]] == ["email"]
