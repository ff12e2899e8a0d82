"""`AutoAPI(policy=...)` over HTTP: denial, methods, fields, filters on every path, order of
answers, the database strategy's placement, and the cost in round trips."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest
from beanie import Document
from starlette.exceptions import HTTPException
from starlette.requests import Request

from autoapi import Access, AutoAPI, store, tenant_policy
from autoapi.roundtrips import counting
from tests.conftest import MakeClient, assert_problem
from tests.models import Author, Book, Publisher
from tests.tenant_models import TENANT_MODELS, Country
from tests.test_tenants import A, B, clean_tenants, new_note, new_user, tenant_database

Rules = dict[type[Document], Any]
__all__ = ["clean_tenants"]  # the fixture: tenant databases start empty


def table_policy(rules: Rules, calls: list[type[Document]] | None = None) -> Callable[..., Any]:
    """A policy answering from a table (a missing model: denied); records its calls."""

    async def policy(request: Request, model: type[Document]) -> Any:
        if calls is not None:
            calls.append(model)
        rule = rules.get(model)
        if isinstance(rule, BaseException):
            raise rule
        return rule

    return policy


async def seed(api: httpx.AsyncClient) -> dict[str, str]:
    publisher = (await api.post("/api/publishers", json={"name": "P"})).json()["_id"]
    author = await api.post(
        "/api/authors", json={"firstName": "A", "lastName": "B", "publisher": publisher}
    )
    author_id = author.json()["_id"]
    good = await api.post(
        "/api/books", json={"title": "good", "isGood": True, "pages": 10, "author": author_id}
    )
    bad = await api.post("/api/books", json={"title": "bad", "pages": 20, "author": author_id})
    await api.patch(
        f"/api/authors/{author_id}", json={"inspired": [good.json()["_id"], bad.json()["_id"]]}
    )
    return {
        "publisher": publisher,
        "author": author_id,
        "good": good.json()["_id"],
        "bad": bad.json()["_id"],
    }


@pytest.fixture
async def ids(make_client: MakeClient) -> dict[str, str]:
    return await seed(await make_client())


async def test_none_denies_naming_the_model(make_client: MakeClient, ids: dict[str, str]) -> None:
    api = await make_client(policy=table_policy({Author: Access()}))
    assert_problem(await api.get("/api/books"), 403, "Book")
    assert_problem(await api.get(f"/api/books/{ids['good']}"), 403, "Book")
    assert (await api.get("/api/authors")).status_code == 200


@pytest.mark.parametrize(
    ("raised", "status"),
    [
        (RuntimeError("boom"), 403),
        (HTTPException(401, "who?"), 401),
        (HTTPException(418, "tea"), 418),
        (PermissionError("no"), 403),
    ],
)
async def test_exception_denies(
    make_client: MakeClient, ids: dict[str, str], raised: BaseException, status: int
) -> None:
    api = await make_client(policy=table_policy({Book: raised}))
    body = assert_problem(await api.get("/api/books"), status)
    assert "boom" not in body["detail"]


async def test_falsy_or_foreign_answer_denies(make_client: MakeClient) -> None:
    for answer in (False, 0, {}, {"filter": {}}, "yes"):
        api = await make_client(policy=table_policy({Book: answer}))
        assert_problem(await api.get("/api/books"), 403, "Book")


async def test_methods_refuse(make_client: MakeClient, ids: dict[str, str]) -> None:
    api = await make_client(policy=table_policy({Book: Access(methods={"list", "get"})}))
    assert_problem(await api.post("/api/books", json={"title": "x"}), 403, "Book")
    assert_problem(await api.delete(f"/api/books/{ids['good']}"), 403, "Book")
    assert (await api.get("/api/books")).status_code == 200
    assert (await api.head(f"/api/books/{ids['good']}")).status_code == 200
    allow = (await api.options(f"/api/books/{ids['good']}")).headers["allow"]
    assert allow == "GET, HEAD, OPTIONS"


async def test_head_follows_get(make_client: MakeClient, ids: dict[str, str]) -> None:
    api = await make_client(policy=table_policy({Book: Access(methods={"get"})}))
    assert (await api.head(f"/api/books/{ids['good']}")).status_code == 200
    assert (await api.head("/api/books")).status_code == 403


async def test_populate_into_denied_model_is_403(
    make_client: MakeClient, ids: dict[str, str]
) -> None:
    rules: Rules = {Book: Access(), Author: Access(methods={"list"})}
    api = await make_client(policy=table_policy(rules))
    assert_problem(await api.get("/api/books?populate=author"), 403, "Author")
    assert_problem(await api.get(f"/api/books/{ids['good']}?populate=author"), 403, "Author")
    assert_problem(await api.get(f"/api/books/{ids['good']}/author"), 403, "Author")
    assert (await api.get("/api/books")).status_code == 200


async def test_reverse_needs_get_on_parent_and_list_on_child(
    make_client: MakeClient, ids: dict[str, str]
) -> None:
    path = f"/api/authors/{ids['author']}/books"
    only_get = {Author: Access(methods={"get"}), Book: Access(methods={"get"})}
    api = await make_client(policy=table_policy(only_get))
    assert_problem(await api.get(path), 403, "Book")
    only_list = {Author: Access(methods={"list"}), Book: Access(methods={"list"})}
    api = await make_client(policy=table_policy(only_list))
    assert_problem(await api.get(path), 403, "Author")
    both = {Author: Access(methods={"get"}), Book: Access(methods={"list"})}
    api = await make_client(policy=table_policy(both))
    assert (await api.get(path)).json()["total"] == 2


async def test_read_fields(make_client: MakeClient, ids: dict[str, str]) -> None:
    rules: Rules = {Book: Access(read_fields={"title", "author"}), Author: Access()}
    api = await make_client(policy=table_policy(rules))
    item = (await api.get(f"/api/books/{ids['good']}")).json()
    assert set(item) == {"_id", "title", "author"}
    listed = (await api.get("/api/books")).json()["items"]
    assert listed and all(set(book) == {"_id", "title", "author"} for book in listed)
    for query in ("sort=pages", "fields=pages", "filter=pages=10", 'where={"pages":10}'):
        assert_problem(await api.get(f"/api/books?{query}"), 400)
    populated = (await api.get("/api/authors?populate=inspired")).json()["items"][0]
    assert all(set(book) == {"_id", "title", "author"} for book in populated["inspired"])
    hidden_link = {Book: Access(read_fields={"title"}), Author: Access()}
    api = await make_client(policy=table_policy(hidden_link))
    assert_problem(await api.get("/api/books?populate=author"), 400, "populate")
    assert_problem(await api.get(f"/api/books/{ids['good']}/author"), 404)


async def test_write_fields(make_client: MakeClient, ids: dict[str, str]) -> None:
    api = await make_client(policy=table_policy({Book: Access(write_fields={"title"})}))
    assert_problem(await api.patch(f"/api/books/{ids['good']}", json={"pages": 1}), 403, "pages")
    assert_problem(await api.post("/api/books", json={"title": "t", "pages": 1}), 403, "pages")
    ok = await api.patch(f"/api/books/{ids['good']}", json={"title": "new"})
    assert ok.status_code == 200 and ok.json()["pages"] == 10


async def test_filter_on_every_path(make_client: MakeClient, ids: dict[str, str]) -> None:
    rules: Rules = {Book: Access(filter={"isGood": True}), Author: Access()}
    api = await make_client(policy=table_policy(rules))
    listed = (await api.get("/api/books")).json()
    assert [b["_id"] for b in listed["items"]] == [ids["good"]] and listed["total"] == 1
    bad = f"/api/books/{ids['bad']}"
    assert_problem(await api.get(bad), 404)
    assert_problem(await api.patch(bad, json={"title": "x"}), 404)
    assert_problem(await api.put(bad, json={"title": "x"}), 404)
    assert_problem(await api.delete(bad), 404)
    inspired = (await api.get(f"/api/authors/{ids['author']}?populate=inspired")).json()
    assert [b and b["title"] for b in inspired["inspired"]] == ["good", None]
    forward = (await api.get(f"/api/authors/{ids['author']}/inspired")).json()
    assert forward["total"] == 1
    reverse = (await api.get(f"/api/authors/{ids['author']}/books")).json()
    assert reverse["total"] == 1


async def test_stamp_set_and_frozen(make_client: MakeClient, ids: dict[str, str]) -> None:
    rules: Rules = {Book: Access(stamp={"isbn": "X-1"})}
    api = await make_client(policy=table_policy(rules))
    created = await api.post("/api/books", json={"title": "t"})
    assert created.json()["isbn"] == "X-1"
    change = await api.patch(f"/api/books/{created.json()['_id']}", json={"isbn": "other"})
    assert_problem(change, 403, "isbn")


async def test_policy_asked_once_per_model(make_client: MakeClient, ids: dict[str, str]) -> None:
    calls: list[type[Document]] = []
    rules: Rules = {Book: Access(), Author: Access(), Publisher: Access()}
    api = await make_client(policy=table_policy(rules, calls))
    response = await api.get("/api/books?populate=author.publisher,coauthor")
    assert response.status_code == 200
    assert sorted(m.__name__ for m in calls) == ["Author", "Book", "Publisher"]


async def test_answer_order(make_client: MakeClient) -> None:
    api = await make_client(policy=table_policy({Author: Access()}))
    assert_problem(await api.get("/api/books/not-an-id"), 403)  # policy before id parse
    assert_problem(await api.delete("/api/books/not-an-id"), 403)
    tenants = await make_client(TENANT_MODELS, policy=tenant_policy(shared=[Country]))
    theirs = await new_note(tenants, B)
    # body keys (403) before the document under the filter (404)
    assert_problem(
        await tenants.patch(f"/api/notes/{theirs}", json={"tenant": "x"}, headers=A), 403
    )
    assert_problem(await tenants.patch(f"/api/notes/{theirs}", json={"bogus": 1}, headers=A), 422)


async def test_sync_policy(make_client: MakeClient, ids: dict[str, str]) -> None:
    api = await make_client(policy=lambda request, model: Access(methods={"list"}))
    assert (await api.get("/api/books")).status_code == 200
    assert_problem(await api.get(f"/api/books/{ids['good']}"), 403)


async def test_access_rejects_unknown_method_names() -> None:
    with pytest.raises(ValueError, match="teleport"):
        Access(methods={"get", "teleport"})
    with pytest.raises(TypeError):
        Access(read_fields="title")


# --- the database strategy ---------------------------------------------------------------


async def test_database_strategy_places_documents(make_client: MakeClient, database: Any) -> None:
    api = await make_client(
        TENANT_MODELS, policy=tenant_policy(shared=[Country], database=tenant_database)
    )
    note = await new_note(api, A, title="placed")
    client = database.client
    assert await client[tenant_database("acme")]["notes"].count_documents({}) == 1
    assert await database["notes"].count_documents({}) == 0
    assert await client[tenant_database("beta")]["notes"].count_documents({}) == 0
    assert (await api.get(f"/api/notes/{note}", headers=A)).json()["title"] == "placed"


@pytest.mark.parametrize("name", ["admin", "local", "config", "a.b", "a b", "", "x" * 64])
async def test_invalid_database_name_is_400(make_client: MakeClient, name: str) -> None:
    api = await make_client(
        TENANT_MODELS, policy=tenant_policy(shared=[Country], database=lambda t: name)
    )
    assert_problem(await api.get("/api/notes", headers=A), 400)


@pytest.mark.parametrize("placed", [None, tenant_database])
async def test_unknown_tenant_is_401(make_client: MakeClient, placed: Any) -> None:
    async def known(tenant: str) -> bool:
        return tenant == "acme"

    policy = tenant_policy(shared=[Country], database=placed, tenants=known)
    api = await make_client(TENANT_MODELS, policy=policy)
    assert (await api.get("/api/notes", headers=A)).status_code == 200
    assert_problem(await api.get("/api/notes", headers=B), 401)


async def test_tenant_indexes_created(make_client: MakeClient) -> None:
    api = await make_client(
        TENANT_MODELS, policy=tenant_policy(shared=[Country], database=tenant_database)
    )
    await new_user(api, A, email="same@example.org")
    clash = await api.post("/api/users", json={"email": "same@example.org"}, headers=A)
    assert_problem(clash, 409, "email")
    await new_user(api, B, email="same@example.org")  # another tenant's database


class Hooked(Document):
    tenant: str = ""
    label: str = ""

    class Settings:
        name = "hooked"

    @classmethod
    async def api_post(cls, data: dict[str, Any], request: Request) -> Hooked:
        doc = cls.model_validate(data)
        await store.insert(doc)
        return doc


class HookedWithMarker(Hooked):
    autoapi_uses_store: ClassVar[bool] = True

    class Settings:
        name = "hooked_marked"

    async def api_delete(self, request: Request) -> None:
        await store.collection(type(self)).delete_one({"_id": self.id})


async def test_custom_write_hook_needs_marker_under_database(
    make_client: MakeClient, database: Any
) -> None:
    policy = tenant_policy(database=tenant_database)
    with pytest.raises(ValueError, match="autoapi_uses_store"):
        AutoAPI(models=[Hooked], policy=policy)
    AutoAPI(models=[Hooked], policy=tenant_policy())  # the field strategy does not care
    api = await make_client([HookedWithMarker], policy=policy)
    made = await api.post("/api/hooked_marked", json={"label": "x"}, headers=A)
    assert made.status_code == 201 and made.json()["tenant"] == "acme"
    tenant_coll = database.client[tenant_database("acme")]["hooked_marked"]
    assert await tenant_coll.count_documents({}) == 1
    assert (await api.delete(f"/api/hooked_marked/{made.json()['_id']}", headers=A)).is_success
    assert await tenant_coll.count_documents({}) == 0


# --- cost ----------------------------------------------------------------------------------


@pytest.mark.parametrize("placed", [None, tenant_database])
async def test_policy_adds_no_query_per_document(make_client: MakeClient, placed: Any) -> None:
    plain = await make_client(TENANT_MODELS)
    scoped = await make_client(
        TENANT_MODELS, policy=tenant_policy(shared=[Country], database=placed)
    )
    for api, headers, tenant in ((plain, {}, "plain"), (scoped, A, "acme")):
        users = [await new_user(api, headers, tenant=tenant) for _ in range(5)]
        for i in range(20):
            await new_note(api, headers, tenant=tenant, author=users[i % 5], readers=users)
    url = "/api/notes?populate=author,readers"
    with counting() as before:
        assert (await plain.get(url)).status_code == 200
    await scoped.get(url, headers=A)  # a tenant's first request creates its indexes
    with counting() as after:
        assert (await scoped.get(url, headers=A)).json()["total"] == 20
    assert after.calls == before.calls  # notes: find + count; users: one `$in`
    assert len(after) == 3
