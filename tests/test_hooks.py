"""Per-model hooks over HTTP: lookup, rendering, list scoping, error mapping."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import httpx
import pytest
from beanie import Document, Link
from beanie.odm.queries.find import FindMany
from starlette.exceptions import HTTPException
from starlette.requests import Request

from autoapi import (
    ProblemError,
    default_api_delete,
    default_api_post,
    default_api_put,
    default_api_values,
    default_on_list_query,
)
from tests.conftest import MakeClient, assert_problem

SECRET = "s3cr3t-internal-text"
LET_ME_POST = {"x-let-me-post": "please"}
# mongomock has no $mod; small even numbers are all these tests use
EVEN = list(range(0, 100, 2))


# -- models: the original plugin's camelCase hooks -------------------------------------------


class CamelAuthor(Document):
    """Sync snake_case `api_values` that builds its own dict (no delegation)."""

    name: str

    def api_values(self, request: Request) -> dict[str, Any]:
        return {"_id": str(self.id), "name": self.name.upper()}

    class Settings:
        name = "hook_camel_authors"


class CamelBook(Document):
    """camelCase hooks; `onListQuery` is a plain function that changes the query in place."""

    title: str
    isbn: str = ""
    pages: int = 0
    author: Link[CamelAuthor] | None = None

    async def apiValues(self, request: Request) -> dict[str, Any]:
        values = await default_api_values(self, request)
        if "x-show-isbn" not in request.headers:
            values.pop("isbn", None)
        return values

    @classmethod
    async def apiPost(cls, data: dict[str, Any], request: Request) -> CamelBook:
        if "x-let-me-post" not in request.headers:
            raise RuntimeError(f"POST is disabled for you! {SECRET}")
        return await default_api_post(cls, data, request)

    async def apiPut(self, data: dict[str, Any], request: Request) -> None:
        raise RuntimeError(f"PUT is disabled for this route {SECRET}")

    async def apiDelete(self, request: Request) -> None:
        raise RuntimeError(f"DELETE is disabled for this route {SECRET}")

    def onListQuery(cls, query: FindMany[Any], request: Request) -> None:
        if request.query_params.get("even") == "true":
            query.find({"pages": {"$in": EVEN}})

    class Settings:
        name = "hook_camel_books"


# -- models: snake_case hooks ---------------------------------------------------------------


class SnakeNote(Document):
    """Sync snake_case write hooks that refuse with mapped exceptions."""

    text: str
    number: int = 0
    author: Link[CamelAuthor] | None = None

    def api_put(self, data: dict[str, Any], request: Request) -> None:
        raise HTTPException(405, "notes are read-only once written")

    def api_delete(self, request: Request) -> None:
        raise PermissionError("notes are never deleted")

    @classmethod
    async def on_list_query(cls, query: FindMany[Any], request: Request) -> FindMany[Any]:
        if request.query_params.get("even") != "true":
            return query
        # a brand-new query: the hook owns the filter it returns
        return cls.find({"number": {"$in": EVEN}}).sort("-number")

    class Settings:
        name = "hook_snake_notes"


class Recorder(Document):
    """Hooks that record their calls and delegate to the importable defaults."""

    title: str
    pages: int = 0
    editedBy: str = ""
    calls: ClassVar[list[str]] = []

    @classmethod
    async def api_post(cls, data: dict[str, Any], request: Request) -> Recorder:
        cls.calls.append("api_post")
        return await default_api_post(cls, data, request)

    async def api_put(self, data: dict[str, Any], request: Request) -> Recorder:
        type(self).calls.append("api_put")
        data = {**data, "editedBy": request.headers.get("x-user", "")}
        return await default_api_put(self, data, request)

    async def api_delete(self, request: Request) -> None:
        type(self).calls.append("api_delete")
        await default_api_delete(self, request)

    @classmethod
    async def on_list_query(cls, query: FindMany[Any], request: Request) -> FindMany[Any]:
        cls.calls.append("on_list_query")
        return await default_on_list_query(cls, query, request)  # type: ignore[no-any-return]

    class Settings:
        name = "hook_recorders"


class Faulty(Document):
    """Hooks whose failure mode is chosen per request by the `x-fail` header."""

    title: str
    pages: int = 0

    @staticmethod
    async def api_post(data: dict[str, Any], request: Request) -> Faulty:
        _maybe_fail(request)
        return await default_api_post(Faulty, data, request)

    def api_values(self, request: Request) -> dict[str, Any]:
        if request.headers.get("x-fail-render"):
            raise HTTPException(451, "not in this country")
        return {"_id": str(self.id), "title": self.title}

    @classmethod
    def on_list_query(cls, query: FindMany[Any], request: Request) -> Any:
        return {"not": "a query"} if request.query_params.get("broken") else query

    class Settings:
        name = "hook_faulty"


def _maybe_fail(request: Request) -> None:
    kind = request.headers.get("x-fail")
    if kind == "permission":
        raise PermissionError("you may not")
    if kind == "validation":
        Faulty.model_validate({"title": "t", "pages": "many"})
    if kind == "http":
        raise HTTPException(418, "I'm a teapot, not a bookshelf")
    if kind == "problem":
        raise ProblemError(409, "already shelved", [{"field": "title", "message": "taken"}])


HOOK_MODELS: list[type[Document]] = [CamelAuthor, CamelBook, SnakeNote, Recorder, Faulty]


@pytest.fixture
async def api(make_client: MakeClient) -> httpx.AsyncClient:
    Recorder.calls.clear()
    return await make_client(models=HOOK_MODELS)


async def _book(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    resp = await api.post("/api/hook_camel_books", json=fields,
                          headers={**LET_ME_POST, "x-show-isbn": "1"})
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def _author(api: httpx.AsyncClient, name: str) -> str:
    resp = await api.post("/api/hook_camel_authors", json={"name": name})
    assert resp.status_code == 201, resp.text
    return resp.json()["_id"]  # type: ignore[no-any-return]


async def _count(api: httpx.AsyncClient, collection: str) -> int:
    resp = await api.get(f"/api/{collection}")
    assert resp.status_code == 200, resp.text
    return resp.json()["total"]  # type: ignore[no-any-return]


# -- Done when, line 1: apiValues / apiPost / apiPut / apiDelete ----------------------------


async def test_api_values_hides_a_field_unless_a_header_is_present(api: httpx.AsyncClient) -> None:
    book = await _book(api, title="Dune", isbn="978-0441", pages=412)
    assert book["isbn"] == "978-0441"  # the POST response went through the hook, header given
    path = f"/api/hook_camel_books/{book['_id']}"
    hidden = (await api.get(path)).json()
    assert "isbn" not in hidden and hidden["title"] == "Dune"
    shown = (await api.get(path, headers={"x-show-isbn": "1"})).json()
    assert shown["isbn"] == "978-0441"
    listed = (await api.get("/api/hook_camel_books")).json()["items"]
    assert listed and all("isbn" not in item for item in listed)
    listed = (await api.get("/api/hook_camel_books", headers={"x-show-isbn": "1"})).json()
    assert listed["items"][0]["isbn"] == "978-0441"


async def test_api_post_refusing_is_a_generic_500_and_writes_nothing(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="autoapi"):
        resp = await api.post("/api/hook_camel_books", json={"title": "Nope", "isbn": "1"})
    body = assert_problem(resp, 500)
    assert SECRET not in resp.text and "POST is disabled" not in resp.text
    assert body["detail"] == "An internal error occurred."
    assert await _count(api, "hook_camel_books") == 0
    logged = [r for r in caplog.records if r.name == "autoapi" and r.exc_info]
    assert logged and SECRET in str(logged[-1].exc_info[1])  # type: ignore[index]
    assert "Traceback" in caplog.text


async def test_api_post_with_the_header_writes(api: httpx.AsyncClient) -> None:
    resp = await api.post("/api/hook_camel_books", json={"title": "Yes"}, headers=LET_ME_POST)
    assert resp.status_code == 201, resp.text
    assert resp.headers["location"].endswith(f"/hook_camel_books/{resp.json()['_id']}")
    assert await _count(api, "hook_camel_books") == 1


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_api_put_raising_is_a_500_and_data_unchanged(
    api: httpx.AsyncClient, method: str
) -> None:
    book = await _book(api, title="Dune", isbn="1", pages=412)
    path = f"/api/hook_camel_books/{book['_id']}"
    resp = await api.request(method, path, json={"title": "Changed"})
    assert_problem(resp, 500)
    assert SECRET not in resp.text
    after = (await api.get(path, headers={"x-show-isbn": "1"})).json()
    assert after == book


async def test_api_delete_raising_is_a_500_and_data_unchanged(api: httpx.AsyncClient) -> None:
    book = await _book(api, title="Dune", isbn="1")
    path = f"/api/hook_camel_books/{book['_id']}"
    resp = await api.delete(path)
    assert_problem(resp, 500)
    assert SECRET not in resp.text
    assert (await api.get(path)).status_code == 200
    assert await _count(api, "hook_camel_books") == 1


# -- Done when, line 2: snake_case hooks with mapped exceptions -----------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_snake_api_put_http_exception_keeps_status_and_detail(
    api: httpx.AsyncClient, method: str
) -> None:
    created = await api.post("/api/hook_snake_notes", json={"text": "keep me"})
    path = f"/api/hook_snake_notes/{created.json()['_id']}"
    resp = await api.request(method, path, json={"text": "changed"})
    body = assert_problem(resp, 405)
    assert body["detail"] == "notes are read-only once written"
    assert (await api.get(path)).json()["text"] == "keep me"


async def test_snake_api_delete_permission_error_is_403(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/hook_snake_notes", json={"text": "keep me"})
    path = f"/api/hook_snake_notes/{created.json()['_id']}"
    assert_problem(await api.delete(path), 403)
    assert (await api.get(path)).status_code == 200


# -- Done when, line 3: on_list_query narrows with ?even=true, on reverse routes too --------


async def test_on_list_query_in_place_narrows_list_before_count_and_paging(
    api: httpx.AsyncClient,
) -> None:
    for pages in (1, 2, 3, 4, 5, 6):
        await _book(api, title=f"b{pages}", pages=pages)
    everything = (await api.get("/api/hook_camel_books")).json()
    assert everything["total"] == 6
    even = (await api.get("/api/hook_camel_books?even=true&sort=-pages&limit=2")).json()
    assert even["total"] == 3
    assert [b["pages"] for b in even["items"]] == [6, 4]
    page2 = (await api.get("/api/hook_camel_books?even=true&sort=pages&offset=2")).json()
    assert [b["pages"] for b in page2["items"]] == [6]


async def test_on_list_query_combines_with_client_filters(api: httpx.AsyncClient) -> None:
    for pages in (2, 4, 5):
        await _book(api, title="same" if pages != 4 else "other", pages=pages)
    resp = await api.get("/api/hook_camel_books", params={"even": "true", "filter": "title=same"})
    assert [b["pages"] for b in resp.json()["items"]] == [2]


async def test_on_list_query_applies_on_reverse_route(api: httpx.AsyncClient) -> None:
    frank = await _author(api, "Frank")
    other = await _author(api, "Other")
    for pages in (1, 2, 3, 4):
        await _book(api, title=f"f{pages}", pages=pages, author=frank)
    await _book(api, title="o", pages=8, author=other)
    path = f"/api/hook_camel_authors/{frank}/hook_camel_books"
    assert (await api.get(path)).json()["total"] == 4
    even = (await api.get(path + "?even=true&sort=pages")).json()
    assert even["total"] == 2
    assert [b["pages"] for b in even["items"]] == [2, 4]
    assert all("isbn" not in b for b in even["items"])  # the child's api_values, too


async def test_on_list_query_returning_a_new_query(api: httpx.AsyncClient) -> None:
    for number in (1, 2, 3, 4):
        await api.post("/api/hook_snake_notes", json={"text": f"n{number}", "number": number})
    assert (await api.get("/api/hook_snake_notes")).json()["total"] == 4
    even = (await api.get("/api/hook_snake_notes?even=true")).json()
    assert even["total"] == 2
    assert [n["number"] for n in even["items"]] == [4, 2]  # the returned query's sort


async def test_on_list_query_returning_something_else_is_a_500(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="autoapi"):
        resp = await api.get("/api/hook_faulty?broken=1")
    assert_problem(resp, 500)
    assert "on_list_query" in caplog.text


async def test_a_new_query_cannot_widen_a_reverse_route(api: httpx.AsyncClient) -> None:
    mine, other = await _author(api, "Mine"), await _author(api, "Other")
    for number, author in ((1, mine), (2, mine), (4, other), (6, mine)):
        await api.post("/api/hook_snake_notes",
                       json={"text": "n", "number": number, "author": author})
    path = f"/api/hook_camel_authors/{mine}/hook_snake_notes"
    even = (await api.get(path + "?even=true")).json()
    assert [n["number"] for n in even["items"]] == [6, 2] and even["total"] == 2


# -- api_values everywhere, and the model-name key after it ---------------------------------


async def test_api_values_on_populated_and_forward_documents(api: httpx.AsyncClient) -> None:
    frank = await _author(api, "Frank")
    book = await _book(api, title="Dune", isbn="1", author=frank)
    listed = (await api.get("/api/hook_camel_books?populate=author")).json()["items"]
    assert listed[0]["author"] == {"_id": frank, "name": "FRANK"}
    got = (await api.get(f"/api/hook_camel_books/{book['_id']}?populate=author")).json()
    assert got["author"] == {"_id": frank, "name": "FRANK"} and "isbn" not in got
    forward = (await api.get(f"/api/hook_camel_books/{book['_id']}/author")).json()
    assert forward == {"_id": frank, "name": "FRANK"}


async def test_model_name_key_is_added_after_api_values(make_client: MakeClient) -> None:
    api = await make_client(models=HOOK_MODELS, expose_model_name=True)
    frank = await _author(api, "Frank")
    book = await _book(api, title="Dune", isbn="1", author=frank)
    assert book["__modelName"] == "CamelBook"
    got = (await api.get(f"/api/hook_camel_books/{book['_id']}?populate=author")).json()
    assert got["__modelName"] == "CamelBook" and "isbn" not in got
    assert got["author"] == {"_id": frank, "name": "FRANK", "__modelName": "CamelAuthor"}
    rev = (await api.get(f"/api/hook_camel_authors/{frank}/hook_camel_books")).json()
    assert rev["items"][0]["__modelName"] == "CamelBook"


async def test_api_values_error_keeps_its_status(api: httpx.AsyncClient) -> None:
    await api.post("/api/hook_faulty", json={"title": "t"})
    listed = await api.get("/api/hook_faulty")
    assert listed.json()["items"][0] == {"_id": listed.json()["items"][0]["_id"], "title": "t"}
    body = assert_problem(await api.get("/api/hook_faulty", headers={"x-fail-render": "1"}), 451)
    assert body["detail"] == "not in this country"


async def test_fields_projection_applies_to_what_api_values_returns(
    api: httpx.AsyncClient,
) -> None:
    await _book(api, title="Dune", isbn="1", pages=3)
    show = {"x-show-isbn": "1"}
    only = (await api.get("/api/hook_camel_books?fields=isbn", headers=show)).json()["items"]
    assert set(only[0]) == {"_id", "isbn"}
    without = (await api.get("/api/hook_camel_books?fields=-title,-_id", headers=show)).json()
    assert without["items"][0] == {"isbn": "1", "pages": 3, "author": None}
    ids_only = (await api.get("/api/hook_camel_books?fields=_id", headers=show)).json()
    assert set(ids_only["items"][0]) == {"_id"}


# -- write hooks: validation first, delegation to the defaults, error mapping --------------


async def test_invalid_body_never_reaches_a_custom_api_post(api: httpx.AsyncClient) -> None:
    resp = await api.post("/api/hook_recorders", json={"title": "t", "pages": "many"})
    assert_problem(resp, 422, "pages")
    assert_problem(await api.post("/api/hook_recorders", json={"pages": 1}), 422, "title")
    assert Recorder.calls == []
    assert await _count(api, "hook_recorders") == 0


async def test_invalid_body_never_reaches_a_custom_api_put(api: httpx.AsyncClient) -> None:
    created = (await api.post("/api/hook_recorders", json={"title": "t", "pages": 1})).json()
    path = f"/api/hook_recorders/{created['_id']}"
    Recorder.calls.clear()
    for method in ("PUT", "PATCH"):
        resp = await api.request(method, path, json={"pages": "many"})
        assert_problem(resp, 422, "pages")
    assert Recorder.calls == []
    assert (await api.get(path)).json()["pages"] == 1


async def test_hooks_delegating_to_the_defaults(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/hook_recorders", json={"title": "t", "pages": 1})
    assert created.status_code == 201, created.text
    path = f"/api/hook_recorders/{created.json()['_id']}"
    updated = await api.patch(path, json={"pages": 2}, headers={"x-user": "ann"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["pages"] == 2 and updated.json()["editedBy"] == "ann"
    stored = (await api.get(path)).json()
    assert stored["pages"] == 2 and stored["editedBy"] == "ann"
    assert (await api.get("/api/hook_recorders")).json()["total"] == 1
    assert (await api.delete(path)).json() == {"success": True}
    assert (await api.get(path)).status_code == 404
    assert Recorder.calls == ["api_post", "api_put", "on_list_query", "api_delete"]


@pytest.mark.parametrize(
    ("fail", "status"),
    [("permission", 403), ("validation", 422), ("http", 418), ("problem", 409)],
)
async def test_api_post_errors_are_mapped_and_write_nothing(
    api: httpx.AsyncClient, fail: str, status: int
) -> None:
    resp = await api.post("/api/hook_faulty", json={"title": "t"}, headers={"x-fail": fail})
    body = assert_problem(resp, status, {"validation": "pages", "problem": "title"}.get(fail))
    if fail == "http":
        assert body["detail"] == "I'm a teapot, not a bookshelf"
    assert await _count(api, "hook_faulty") == 0


async def test_static_api_post_is_called_without_the_class(api: httpx.AsyncClient) -> None:
    resp = await api.post("/api/hook_faulty", json={"title": "t"})
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"_id": resp.json()["_id"], "title": "t"}


class BothSpellings(Document):
    """Defines a hook under both names: snake_case wins."""

    title: str

    def api_values(self, request: Request) -> dict[str, Any]:
        return {"spelling": "snake"}

    def apiValues(self, request: Request) -> dict[str, Any]:
        return {"spelling": "camel"}

    def api_delete(self, request: Request) -> None:
        from fastapi import HTTPException as FastAPIHTTPException

        raise FastAPIHTTPException(409, "still referenced", headers={"x-why": "refs"})

    class Settings:
        name = "hook_both_spellings"


async def test_snake_case_wins_and_fastapi_http_exception_is_kept(
    make_client: MakeClient,
) -> None:
    api = await make_client(models=[BothSpellings])
    created = await api.post("/api/hook_both_spellings", json={"title": "t"})
    assert created.json() == {"spelling": "snake"}
    listed = await api.get("/api/hook_both_spellings")
    assert listed.json()["items"] == [{"spelling": "snake"}]
    ident = created.headers["location"].rsplit("/", 1)[1]
    resp = await api.delete(f"/api/hook_both_spellings/{ident}")
    assert assert_problem(resp, 409)["detail"] == "still referenced"
    assert resp.headers["x-why"] == "refs"
    assert (await api.get("/api/hook_both_spellings")).json()["total"] == 1
