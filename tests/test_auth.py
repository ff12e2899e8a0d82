"""`check_auth` over HTTP: first on every generated route, before the body."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.conftest import MakeClient, assert_problem

TOKEN = {"x-token": "ok"}
HONEY = "401, honey!"


def honey_auth(request: Request) -> None:
    """Sync: only a request carrying the token passes."""
    if request.headers.get("x-token") != "ok":
        raise HTTPException(401, HONEY)


async def async_honey_auth(request: Request) -> None:
    """The same check, async."""
    honey_auth(request)


class Seeded:
    """An author with one book, created through the API with the token."""

    def __init__(self, author: str, book: str) -> None:
        self.author = author
        self.book = book


async def _seed(api: httpx.AsyncClient) -> Seeded:
    author = await api.post("/api/authors", json={"firstName": "Ann", "lastName": "Lee"},
                            headers=TOKEN)
    assert author.status_code == 201, author.text
    book = await api.post("/api/books", json={"title": "T", "author": author.json()["_id"]},
                          headers=TOKEN)
    assert book.status_code == 201, book.text
    return Seeded(author.json()["_id"], book.json()["_id"])


async def _snapshot(api: httpx.AsyncClient) -> tuple[Any, Any]:
    authors = await api.get("/api/authors", headers=TOKEN)
    books = await api.get("/api/books", headers=TOKEN)
    return authors.json(), books.json()


def _requests(seed: Seeded) -> list[tuple[str, str, dict[str, Any]]]:
    """One request per generated route and method, bodies broken where a body is read."""
    author, book = f"/api/authors/{seed.author}", f"/api/books/{seed.book}"
    broken = {"content": b"{not json", "headers": {"content-type": "application/json"}}
    return [
        ("GET", "/api/authors", {}),
        ("GET", author, {}),
        ("HEAD", author, {}),
        ("GET", f"{author}/books", {}),
        ("GET", f"{book}/author", {}),
        ("OPTIONS", "/api/authors", {}),
        ("POST", "/api/authors", broken),
        ("POST", "/api/authors", {"json": {"firstName": "X", "lastName": "Y"}}),
        ("PUT", author, broken),
        ("PATCH", author, {"json": {"firstName": "Changed"}}),
        ("DELETE", book, {}),
    ]


# -- Done when, line 4 ----------------------------------------------------------------------


@pytest.mark.parametrize("check_auth", [honey_auth, async_honey_auth], ids=["sync", "async"])
async def test_http_exception_from_check_auth_keeps_status_and_detail(
    make_client: MakeClient, check_auth: Any
) -> None:
    api = await make_client(check_auth=check_auth)
    seed = await _seed(api)
    before = await _snapshot(api)
    for method, url, extra in _requests(seed):
        resp = await api.request(method, url, **extra)
        assert resp.status_code == 401, (method, url, resp.text)
        if method != "HEAD":
            assert assert_problem(resp, 401)["detail"] == HONEY, (method, url)
    assert await _snapshot(api) == before


async def test_401_on_list_get_reverse_and_broken_post(make_client: MakeClient) -> None:
    api = await make_client(check_auth=honey_auth)
    seed = await _seed(api)
    for url in ("/api/authors", f"/api/authors/{seed.author}",
                f"/api/authors/{seed.author}/books"):
        assert assert_problem(await api.get(url), 401)["detail"] == HONEY
    broken = await api.post("/api/authors", content=b"{oops",
                            headers={"content-type": "application/json"})
    assert assert_problem(broken, 401)["detail"] == HONEY
    assert (await api.get(f"/api/authors/{seed.author}/books", headers=TOKEN)).status_code == 200


async def test_response_returned_to_a_post_is_sent_as_is(make_client: MakeClient) -> None:
    def check_auth(request: Request) -> Response | None:
        if request.method == "POST":
            return JSONResponse({"why": "posting is closed"}, status_code=403,
                                headers={"x-policy": "read-only"})
        return None

    api = await make_client(check_auth=check_auth)
    for body in ({"firstName": "A", "lastName": "B"}, {"broken": "body", "unknown": 1}):
        resp = await api.post("/api/authors", json=body)
        assert resp.status_code == 403
        assert resp.json() == {"why": "posting is closed"}
        assert resp.headers["x-policy"] == "read-only"
        assert resp.headers["content-type"] == "application/json"
        assert "location" not in resp.headers
    listed = (await api.get("/api/authors")).json()
    assert listed == {"total": 0, "items": [], "next": None, "prev": None}


# -- check_auth runs first: before the body, the id, the database ---------------------------


async def test_check_auth_runs_before_the_body_is_read(make_client: MakeClient) -> None:
    api = await make_client(check_auth=honey_auth)
    huge = b'{"firstName": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    cases = [
        {"content": huge, "headers": {"content-type": "application/json"}},  # else 413
        {"content": b"<xml/>", "headers": {"content-type": "application/xml"}},  # else 415
        {"json": {"nope": 1}},  # else 422
    ]
    for extra in cases:
        assert_problem(await api.post("/api/authors", **extra), 401)
    assert (await api.get("/api/authors", headers=TOKEN)).json()["total"] == 0


async def test_check_auth_runs_before_the_id_is_looked_up(make_client: MakeClient) -> None:
    api = await make_client(check_auth=honey_auth)
    for url in ("/api/authors/not-an-id", "/api/authors/" + "0" * 24):
        assert_problem(await api.get(url), 401)
        assert_problem(await api.delete(url), 401)
    assert_problem(await api.get("/api/authors/" + "0" * 24, headers=TOKEN), 404)


async def test_check_auth_may_read_the_body_itself(make_client: MakeClient) -> None:
    async def signed(request: Request) -> None:
        body = await request.body()  # e.g. to check a signature over it
        if request.method == "POST" and request.headers.get("x-length") != str(len(body)):
            raise PermissionError("bad signature")

    api = await make_client(check_auth=signed)
    payload = json.dumps({"firstName": "A", "lastName": "B"}).encode()
    headers = {"content-type": "application/json"}
    resp = await api.post("/api/authors", content=payload,
                          headers={**headers, "x-length": str(len(payload))})
    assert resp.status_code == 201, resp.text
    assert resp.json()["firstName"] == "A"
    assert_problem(await api.post("/api/authors", content=payload, headers=headers), 403)


async def test_check_auth_sees_method_and_path_params(make_client: MakeClient) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def check_auth(request: Request) -> None:
        seen.append((request.method, dict(request.path_params)))
        if request.method == "DELETE":
            raise PermissionError(f"you may not delete {request.path_params['id']}")

    api = await make_client(check_auth=check_auth)
    created = await api.post("/api/authors", json={"firstName": "A", "lastName": "B"})
    ident = created.json()["_id"]
    body = assert_problem(await api.delete(f"/api/authors/{ident}"), 403)
    assert body["detail"] == f"you may not delete {ident}"
    assert (await api.get(f"/api/authors/{ident}")).status_code == 200
    assert seen == [("POST", {}), ("DELETE", {"id": ident}), ("GET", {"id": ident})]


# -- error mapping for check_auth ------------------------------------------------------------


class _Token(BaseModel):
    user: int


async def test_check_auth_error_mapping(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    def check_auth(request: Request) -> None:
        kind = request.headers.get("x-kind")
        if kind == "permission":
            raise PermissionError("members only")
        if kind == "validation":
            _Token.model_validate({"user": "nobody"})
        if kind == "other":
            raise KeyError("internal-session-table")

    api = await make_client(check_auth=check_auth)
    assert assert_problem(await api.get("/api/authors", headers={"x-kind": "permission"}),
                          403)["detail"] == "members only"
    assert_problem(await api.get("/api/authors", headers={"x-kind": "validation"}), 422, "user")
    with caplog.at_level(logging.WARNING, logger="autoapi"):
        resp = await api.get("/api/authors", headers={"x-kind": "other"})
    body = assert_problem(resp, 401)
    assert "internal-session-table" not in resp.text and body["detail"] == "Not authorized"
    assert "internal-session-table" in caplog.text
    assert (await api.get("/api/authors")).status_code == 200


@pytest.mark.parametrize(("answer", "status"), [(False, 401), (True, 200), (None, 200)])
async def test_check_auth_return_values(
    make_client: MakeClient, answer: Any, status: int
) -> None:
    api = await make_client(check_auth=lambda request: answer)
    resp = await api.get("/api/authors")
    assert resp.status_code == status, resp.text
    if status == 401:
        assert_problem(resp, 401)
