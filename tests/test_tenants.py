"""`tenant_policy` over HTTP, each rule for both strategies: a tenant field, a database each.

Every test runs twice (`strategy` = "field" / "database"); docs/policy.md names them per row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from bson import DBRef, ObjectId

from autoapi import tenant_policy
from tests.conftest import MONGODB_URL, RUN_DATABASE, MakeClient, assert_problem
from tests.tenant_models import TENANT_MODELS, Country

A = {"X-Tenant-ID": "acme"}
B = {"X-Tenant-ID": "beta"}


def tenant_database(tenant: str) -> str:
    return f"{RUN_DATABASE}_{tenant}"


@pytest.fixture(params=["field", "database"])
def strategy(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
async def clean_tenants(database: Any) -> AsyncIterator[None]:
    """Tenant databases start empty (a real server keeps them between tests)."""
    for tenant in ("acme", "beta"):
        await database.client.drop_database(tenant_database(tenant))
    yield
    if MONGODB_URL:
        for tenant in ("acme", "beta"):
            await database.client.drop_database(tenant_database(tenant))


@pytest.fixture
async def api(make_client: MakeClient, strategy: str) -> httpx.AsyncClient:
    placed = tenant_database if strategy == "database" else None
    return await make_client(TENANT_MODELS, policy=tenant_policy(shared=[Country], database=placed))


async def new_user(api: httpx.AsyncClient, headers: dict[str, str], **values: Any) -> str:
    body = {"email": f"{ObjectId()}@example.org", "name": "someone", **values}
    response = await api.post("/api/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["_id"])


async def new_note(api: httpx.AsyncClient, headers: dict[str, str], **values: Any) -> str:
    response = await api.post("/api/notes", json={"title": "n", **values}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["_id"])


async def raw_note(database: Any, strategy: str, tenant: str, **links: Any) -> str:
    """A note stored outside autoapi (the API refuses links across tenants), linking `links`
    (field → user id or list of user ids)."""
    db = database.client[tenant_database(tenant)] if strategy == "database" else database
    values = {
        key: [DBRef("users", ObjectId(v)) for v in ids] if isinstance(ids, list)
        else DBRef("users", ObjectId(ids))
        for key, ids in links.items()
    }
    inserted = await db["notes"].insert_one(
        {"tenant": tenant, "title": "t", "pages": 0, "readers": [], **values}
    )
    return str(inserted.inserted_id)


def tenants_in(value: Any) -> set[str]:
    """Every `tenant` value anywhere in a JSON answer."""
    if isinstance(value, dict):
        found = {value["tenant"]} if "tenant" in value else set()
        return found.union(*(tenants_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(tenants_in(v) for v in value))
    return set()


async def test_missing_tenant_is_401(api: httpx.AsyncClient) -> None:
    for headers in ({}, {"X-Tenant-ID": ""}, {"X-Tenant-ID": "  "}):
        assert_problem(await api.get("/api/notes", headers=headers), 401)
    assert_problem(await api.post("/api/notes", json={"title": "x"}), 401)


@pytest.mark.parametrize("tenant", ["a b", "a/b", "x" * 49, "a.b", "a$"])
async def test_malformed_tenant_is_400(api: httpx.AsyncClient, tenant: str) -> None:
    response = await api.get("/api/notes", headers={"X-Tenant-ID": tenant})
    assert_problem(response, 400, "X-Tenant-ID")


async def test_list_is_scoped(api: httpx.AsyncClient) -> None:
    mine = {await new_note(api, A, title=f"a{i}") for i in range(3)}
    await new_note(api, B, title="b")
    body = (await api.get("/api/notes", headers=A)).json()
    assert body["total"] == 3
    assert {doc["_id"] for doc in body["items"]} == mine
    assert tenants_in(body) == {"acme"}


async def test_get_across_tenants_is_404(api: httpx.AsyncClient) -> None:
    theirs = await new_note(api, B)
    assert_problem(await api.get(f"/api/notes/{theirs}", headers=A), 404)
    assert (await api.head(f"/api/notes/{theirs}", headers=A)).status_code == 404
    assert (await api.get(f"/api/notes/{theirs}", headers=B)).status_code == 200


async def test_writes_across_tenants_are_404(api: httpx.AsyncClient) -> None:
    theirs = await new_note(api, B, title="kept")
    for method in ("PUT", "PATCH"):
        response = await api.request(
            method, f"/api/notes/{theirs}", json={"title": "taken"}, headers=A
        )
        assert_problem(response, 404)
    assert_problem(await api.delete(f"/api/notes/{theirs}", headers=A), 404)
    assert (await api.get(f"/api/notes/{theirs}", headers=B)).json()["title"] == "kept"


async def test_create_stamps_tenant(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/notes", json={"title": "t"}, headers=A)
    assert response.status_code == 201
    assert response.json()["tenant"] == "acme"
    same = await api.post("/api/notes", json={"title": "t", "tenant": "acme"}, headers=A)
    assert same.status_code == 201


async def test_body_naming_other_tenant_is_403(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/notes", json={"title": "t", "tenant": "beta"}, headers=A)
    assert_problem(response, 403, "tenant")
    mine = await new_note(api, A)
    patched = await api.patch(f"/api/notes/{mine}", json={"tenant": "beta"}, headers=A)
    assert_problem(patched, 403, "tenant")
    assert (await api.get("/api/notes", headers=B)).json()["total"] == 0


async def test_a_link_to_another_tenants_document_is_422(api: httpx.AsyncClient) -> None:
    their_user = await new_user(api, B)
    response = await api.post("/api/notes", json={"title": "t", "author": their_user}, headers=A)
    assert_problem(response, 422, "author")
    assert response.json()["code"] == "missing_link"
    assert (await api.get("/api/notes", headers=A)).json()["total"] == 0


async def test_populate_across_tenants_is_null(
    api: httpx.AsyncClient, database: Any, strategy: str
) -> None:
    their_user = await new_user(api, B)
    mine = await raw_note(database, strategy, "acme", author=their_user, readers=[their_user])
    got = await api.get(f"/api/notes/{mine}?populate=author,readers", headers=A)
    assert got.json()["author"] is None and got.json()["readers"] == [None]
    listed = (await api.get("/api/notes?populate=author", headers=A)).json()
    assert listed["items"][0]["author"] is None
    assert tenants_in(got.json()) | tenants_in(listed) == {"acme"}


async def test_forward_across_tenants_is_null(
    api: httpx.AsyncClient, database: Any, strategy: str
) -> None:
    their_user = await new_user(api, B)
    mine = await raw_note(database, strategy, "acme", author=their_user, readers=[their_user])
    assert (await api.get(f"/api/notes/{mine}/author", headers=A)).json() is None
    many = (await api.get(f"/api/notes/{mine}/readers", headers=A)).json()
    assert many == {"total": 0, "items": []}
    own_user = await new_user(api, A)
    own = await new_note(api, A, author=own_user)
    assert (await api.get(f"/api/notes/{own}/author", headers=A)).json()["_id"] == own_user


async def test_reverse_is_scoped(api: httpx.AsyncClient, database: Any, strategy: str) -> None:
    user_a = await new_user(api, A)
    user_b = await new_user(api, B)
    await new_note(api, A, author=user_a)
    await raw_note(database, strategy, "beta", author=user_a)  # B's note pointing at A's user
    assert_problem(await api.get(f"/api/users/{user_b}/notes", headers=A), 404)
    body = (await api.get(f"/api/users/{user_a}/notes", headers=A)).json()
    assert body["total"] == 1 and tenants_in(body) == {"acme"}


async def test_shared_model_read_only(api: httpx.AsyncClient, database: Any) -> None:
    await database["countries"].insert_one({"name": "Norway"})
    for tenant in (A, B):
        assert (await api.get("/api/countries", headers=tenant)).json()["total"] == 1
    assert_problem(await api.post("/api/countries", json={"name": "x"}, headers=A), 403)
    user = await new_user(api, A)
    country = (await api.get("/api/countries", headers=A)).json()["items"][0]["_id"]
    await api.patch(f"/api/users/{user}", json={"country": country}, headers=A)
    got = (await api.get(f"/api/users/{user}?populate=country", headers=A)).json()
    assert got["country"]["name"] == "Norway"


async def test_model_without_field(api: httpx.AsyncClient, strategy: str) -> None:
    response = await api.post("/api/loose", json={"label": "x"}, headers=A)
    if strategy == "field":
        assert_problem(response, 403, "Loose")
        assert_problem(await api.get("/api/loose", headers=A), 403, "Loose")
    else:
        assert response.status_code == 201
        assert (await api.get("/api/loose", headers=A)).json()["total"] == 1
        assert (await api.get("/api/loose", headers=B)).json()["total"] == 0


async def test_options_reflect_grants(api: httpx.AsyncClient) -> None:
    shared = await api.options("/api/countries", headers=A)
    assert shared.status_code == 204
    assert shared.headers["allow"] == "GET, HEAD, OPTIONS"
    own = await api.options("/api/notes", headers=A)
    assert own.headers["allow"] == "GET, POST, HEAD, OPTIONS"
    nobody = await api.options("/api/notes")
    assert nobody.status_code == 204 and nobody.headers["allow"] == "OPTIONS"


async def test_hidden_and_stamped_fields_not_leaked(api: httpx.AsyncClient) -> None:
    user = await new_user(api, A)
    assert_problem(await api.patch(f"/api/users/{user}", json={"password": "x"}, headers=A), 422)
    body = (await api.get(f"/api/users/{user}", headers=A)).json()
    assert "password" not in body and body["tenant"] == "acme"


async def test_client_chosen_ids_do_not_cross(api: httpx.AsyncClient) -> None:
    mine = await new_note(api, A)
    clash = await api.post("/api/notes", json={"_id": mine, "title": "x"}, headers=B)
    # one collection: the id is taken (409); one database each: B gets its own document
    assert clash.status_code in (201, 409)
    assert (await api.get(f"/api/notes/{mine}", headers=A)).json()["title"] == "n"
