"""Errors a client can show: codes, messages for people, bounded bodies, one answer per fault."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from beanie import Document
from bson import ObjectId
from pymongo import IndexModel

from autoapi import roundtrips, store
from autoapi.decode import OutOfRange, json_value
from autoapi.errors import CODES, ProblemError
from autoapi.introspect import Hidden
from autoapi.messages import schema_message
from autoapi.projection import overlapping
from autoapi.requestid import accepted
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS

DOCS = Path(__file__).parent.parent / "docs" / "errors.md"
MAX_BODY = 32 * 1024
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
EVERY_ROUTE = [
    {"name": n, **{k: {} for k in ("routeList", "routeGet", "routePost", "routePut",
                                   "routePatch", "routeDelete")}}
    for n in ("authors", "books")
]
INTERNAL = re.compile(
    r"Traceback|pydantic|errors\.pydantic\.dev|codec|recursion|set_int_max_str_digits"
    r"|is not of type|\^\[0-9a-fA-F\]\{24\}\$|ObjectId\(|object at 0x|should be non-empty"
)


def assert_coded(response: httpx.Response, status: int, code: str, field: str | None = None) -> Any:
    body = assert_problem(response, status, field)
    assert body["code"] == code, body
    assert len(response.content) < MAX_BODY
    assert not INTERNAL.search(response.text), response.text
    return body


async def new_author(client: httpx.AsyncClient) -> str:
    sent = await client.post("/api/authors", json={"firstName": "A", "lastName": "B"})
    assert sent.status_code == 201, sent.text
    return str(sent.json()["_id"])


# -- the code table ---------------------------------------------------------------------------


def documented_codes() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8").split("## Codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+?) \|$", text, re.MULTILINE)
    return dict(rows)


def test_the_docs_list_every_code_with_its_meaning_and_no_other() -> None:
    assert documented_codes() == dict(CODES)


def test_an_unknown_code_cannot_be_raised() -> None:
    with pytest.raises(ValueError):
        ProblemError(400, "x", code="no_such_code")


# -- pure tables ------------------------------------------------------------------------------


@pytest.mark.parametrize(("keyword", "expected", "message"), [
    ("type", "string", "must be a string"),
    ("type", ["integer", "null"], "must be an integer or null"),
    ("required", ["x"], "is required"),
    ("minLength", 1, "must not be empty"),
    ("minLength", 3, "is too short (at least 3 characters)"),
    ("maxLength", 80, "is too long (at most 80 characters)"),
    ("pattern", "^[0-9a-fA-F]{24}$", "does not have the expected form"),
    ("format", "date", "must be a date (YYYY-MM-DD)"),
    ("format", "email", "must be an email address"),
    ("enum", ["a", "b"], 'must be one of: "a", "b"'),
    ("minimum", 1000, "must be at least 1000"),
    ("maximum", 2100, "must be at most 2100"),
    ("exclusiveMinimum", 0, "must be greater than 0"),
    ("additionalProperties", False, "is not allowed"),
    ("false", False, "is not allowed"),
    ("if", {}, "is not valid"),
])
def test_jsonschema_keywords_become_messages(keyword: str, expected: Any, message: str) -> None:
    assert schema_message(keyword, expected) == message


@pytest.mark.parametrize(("text", "value"), [
    ('{"a": 1}', {"a": 1}),
    ('{"a": 1e400}', {"a": OutOfRange("1e400")}),
    ('{"a": -1e400}', {"a": OutOfRange("-1e400")}),
    ('{"a": ' + "9" * 30 + "}", {"a": OutOfRange("9" * 30)}),
    ('{"a": 9223372036854775808}', {"a": 2**63}),  # 19 digits: the field decides
    ('{"a": {"b": [1, 2.5]}}', {"a": {"b": [1, 2.5]}}),
])
def test_strict_json_keeps_out_of_range_numbers_for_the_field(text: str, value: Any) -> None:
    assert json_value(text, "body") == value


@pytest.mark.parametrize(("text", "code"), [
    ('{"a": 1, "a": 2}', "invalid_json"),
    ('{"a": {"b": 1, "b": 1}}', "invalid_json"),
    ('{"a": NaN}', "invalid_json"),
    ('{"a": Infinity}', "invalid_json"),
    ('{"a": ', "invalid_json"),
    ("[" * 50_000 + "]" * 50_000, "limit_exceeded"),
])
def test_strict_json_refusals(text: str, code: str) -> None:
    with pytest.raises(ProblemError) as caught:
        json_value(text, "body")
    assert (caught.value.status, caught.value.code) == (400, code)
    assert not INTERNAL.search(caught.value.detail)


@pytest.mark.parametrize(("paths", "pair"), [
    (["biography", "biography.born"], ("biography", "biography.born")),
    (["biography.born", "biography"], ("biography", "biography.born")),
    (["a", "a-b", "a.b"], ("a", "a.b")),
    (["a.b.c", "a"], ("a", "a.b.c")),
    (["biography.born", "biography.description"], None),
    (["ab", "a"], None),
    ([], None),
])
def test_projection_paths_inside_others(paths: list[str], pair: tuple[str, str] | None) -> None:
    assert overlapping(paths) == pair


@pytest.mark.parametrize(("sent", "kept"), [
    ("abc-123", True),
    ("f" * 128, True),
    ("f" * 129, False),
    ("", False),
    ("has space", False),
    ("tab\there", False),
    ("é", False),
    (None, False),
])
def test_client_request_ids_kept_when_short_and_printable(sent: str | None, kept: bool) -> None:
    assert (accepted(sent) == sent) is kept
    assert re.fullmatch(r"[!-~]{1,128}", accepted(sent))


# -- internal text never reaches clients ------------------------------------------------------


async def test_an_integer_of_5000_digits_is_a_422(client: httpx.AsyncClient) -> None:
    body = '{"title": "x", "pages": ' + "7" * 5000 + "}"
    assert_coded(await client.post("/api/books", content=body, headers=JSON), 422, "invalid_value",
            "pages")


async def test_a_body_nested_10000_deep_is_a_400_limit(client: httpx.AsyncClient) -> None:
    body = '{"meta": ' + "[" * 10_000 + "]" * 10_000 + "}"
    sent = await client.post("/api/authors", content=body, headers=JSON)
    assert_coded(sent, 400, "limit_exceeded")


async def test_a_json_body_that_is_not_utf8_is_a_400(client: httpx.AsyncClient) -> None:
    sent = await client.post("/api/books", content=b'{"title": "\xff"}', headers=JSON)
    assert_coded(sent, 400, "invalid_json")


async def test_pydantic_faults_read_as_messages_in_json_and_form(client: httpx.AsyncClient) -> None:
    body = assert_coded(await client.post("/api/books", json={"title": 5}), 422, "invalid_value",
                   "title")
    assert body["errors"][0]["message"] == "must be a string"
    form = assert_coded(await client.post("/api/books", content=b"title=t&pages=abc", headers=FORM),
                   422, "invalid_value", "pages")
    assert form["errors"][0]["message"] == "must be an integer"


@pytest.mark.parametrize(("value", "message"), [
    (None, "must be a string"),
    ({"a": ""}, "must be a string"),
    ("", "must not be empty"),
])
async def test_jsonschema_faults_read_as_messages(
    make_client: MakeClient, value: Any, message: str
) -> None:
    entry = {"name": "authors", "routePost": {"body": {
        "type": "object", "properties": {"firstName": {"type": "string", "minLength": 1}}}}}
    client = await make_client(schemas=[entry])
    sent = await client.post("/api/authors", json={"firstName": value, "lastName": "L"})
    body = assert_coded(sent, 422, "invalid_value", "firstName")
    assert body["errors"] == [{"field": "firstName", "message": message, "code": "invalid_value"}]


async def test_a_404_never_quotes_the_id_pattern(make_client: MakeClient) -> None:
    client = await make_client(schemas=EVERY_ROUTE)
    body = assert_coded(await client.get("/api/books/xyz"), 404, "not_found")
    assert "errors" not in body


# -- bounded bodies ---------------------------------------------------------------------------


async def test_a_megabyte_value_gives_a_small_422(client: httpx.AsyncClient) -> None:
    big = "x" * (1024 * 1024 - 100)
    assert_coded(await client.post("/api/books", json={"title": "t", "pages": big}), 422,
            "invalid_value", "pages")
    assert_coded(await client.post("/api/books", json={"title": "t", big: 1}), 422, "unknown_field")


async def test_100k_unknown_keys_give_a_small_422(client: httpx.AsyncClient) -> None:
    keys = {f"{i:x}": 1 for i in range(100_000)}
    sent = json.dumps({"title": "t", **keys}, separators=(",", ":")).encode()
    assert 900_000 < len(sent) < 1024 * 1024
    body = assert_coded(await client.post("/api/books", content=sent, headers=JSON), 422,
                   "unknown_field")
    assert body["truncated"] is True and len(body["errors"]) <= 100


async def test_a_10000_character_id_gives_a_small_404(make_client: MakeClient) -> None:
    client = await make_client(schemas=EVERY_ROUTE)
    for path in ("/api/books/" + "a" * 10_000, "/api/authors/" + "a" * 10_000 + "/books"):
        assert_coded(await client.get(path), 404, "not_found")


# -- client-triggered 500s --------------------------------------------------------------------


async def test_a_field_and_its_child_in_fields_is_a_400(client: httpx.AsyncClient) -> None:
    await new_author(client)
    sent = await client.get("/api/authors?fields=biography,biography.born")
    assert_coded(sent, 400, "invalid_value", "fields")


async def test_a_nul_in_a_dict_key_is_a_422(client: httpx.AsyncClient) -> None:
    sent = await client.post("/api/authors", json={"firstName": "A", "lastName": "B",
                                                   "meta": {"a\u0000b": 1}})
    assert_coded(sent, 422, "invalid_value", "meta")


# -- the same fault, the same answer ----------------------------------------------------------


@pytest.mark.parametrize("entries", [(), EVERY_ROUTE], ids=["plain", "with-entries"])
async def test_an_unparseable_or_unknown_id_is_one_404_everywhere(
    make_client: MakeClient, entries: Any
) -> None:
    client = await make_client(schemas=entries)
    answers = []
    for ident in ("xyz", str(ObjectId())):
        for method, path in (("GET", ""), ("GET", "/author"), ("PUT", ""), ("PATCH", ""),
                             ("DELETE", "")):
            answers.append(await client.request(method, f"/api/books/{ident}{path}",
                                                json={"title": "t"}))
    for response in answers:
        assert assert_coded(response, 404, "not_found") == {
            "type": "about:blank", "title": "Not Found", "status": 404,
            "detail": "no Book with this id", "code": "not_found"}
    for ident in ("xyz", str(ObjectId())):
        reverse = assert_coded(await client.get(f"/api/authors/{ident}/books"), 404, "not_found")
        assert reverse["detail"] == "no Author with this id" and "errors" not in reverse


@pytest.mark.parametrize("limit", ["1_0", "0", "abc", "5000", " 3"])
async def test_a_limit_reads_the_same_with_and_without_an_entry(
    make_client: MakeClient, limit: str
) -> None:
    plain = await (await make_client()).get(f"/api/books?limit={limit}")
    checked = await (await make_client(schemas=EVERY_ROUTE)).get(f"/api/books?limit={limit}")
    assert plain.status_code == checked.status_code
    assert plain.json() == checked.json()


@pytest.mark.parametrize("entries", [(), EVERY_ROUTE], ids=["plain", "with-entries"])
async def test_nan_in_a_body_is_refused_with_and_without_an_entry(
    make_client: MakeClient, entries: Any
) -> None:
    client = await make_client(schemas=entries)
    sent = await client.post("/api/books", content=b'{"title": "t", "price": NaN}', headers=JSON)
    assert_coded(sent, 400, "invalid_json", "body")


# -- lax or wrong answers to bodies -----------------------------------------------------------


async def test_a_form_that_is_not_utf8_is_a_400(client: httpx.AsyncClient) -> None:
    sent = await client.post("/api/books", content=b"title=%FF%FE", headers=FORM)
    assert_coded(sent, 400, "invalid_encoding", "body")
    assert (await client.get("/api/books")).json()["total"] == 0


async def test_duplicate_keys_in_a_body_are_a_400(client: httpx.AsyncClient) -> None:
    sent = await client.post("/api/books", content=b'{"title": "a", "title": "b"}', headers=JSON)
    body = assert_coded(sent, 400, "invalid_json", "body")
    assert "'title'" in body["detail"]


@pytest.mark.parametrize(("body", "field"), [
    ('{"title": "t", "price": 1e400}', "price"),
    ('{"title": "t", "pages": 9223372036854775808}', "pages"),
    ('{"title": "t", "pages": -9223372036854775809}', "pages"),
])
async def test_numbers_that_do_not_fit_are_a_422(
    client: httpx.AsyncClient, body: str, field: str
) -> None:
    assert_coded(await client.post("/api/books", content=body, headers=JSON), 422, "invalid_value",
            field)
    assert (await client.get("/api/books")).json()["total"] == 0


@pytest.mark.parametrize("body", [
    {"meta.$where": "1"},
    {"meta..x": 1},
    {"meta.": 1},
    {"biography.$born": 1},
    {"meta.a\u0000b": 1},
    {"meta": {"$where": 1}},
    {"meta": {"": 1}},
    {"meta": {"a": {"b.c": 1}}},
])
async def test_bad_key_paths_are_a_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    sent = await client.post("/api/authors", json={"firstName": "A", "lastName": "B", **body})
    assert_coded(sent, 422, "invalid_value")
    assert (await client.get("/api/authors")).json()["total"] == 0


async def test_a_link_to_a_missing_document_is_a_422_with_one_query_per_path(
    client: httpx.AsyncClient,
) -> None:
    real = await new_author(client)
    body = {"title": "t", "author": str(ObjectId()), "coauthor": real}
    with roundtrips.counting() as trips:
        sent = await client.post("/api/books", json=body)
    found = assert_coded(sent, 422, "missing_link", "author")
    assert [e["field"] for e in found["errors"]] == ["author"]
    assert trips.calls.count(("authors", "find")) == 2  # one per link path, not per value
    inspired = [str(ObjectId()) for _ in range(20)] + [real]  # an author's id: no book
    with roundtrips.counting() as trips:
        sent = await client.patch(f"/api/authors/{real}", json={"inspired": inspired})
    many = assert_coded(sent, 422, "missing_link", "inspired")
    assert "(and 20 more)" in many["errors"][0]["message"]
    assert trips.calls.count(("books", "find")) == 1
    assert (await client.get("/api/books")).json()["total"] == 0


async def test_a_missing_link_is_named_beside_the_body_s_other_faults(
    client: httpx.AsyncClient,
) -> None:
    real = await new_author(client)
    body = {"title": "t", "pages": "many", "author": str(ObjectId())}
    sent = await client.post("/api/books", json=body)
    found = assert_problem(sent, 422)
    assert [e["field"] for e in found["errors"]] == ["pages", "author"]
    assert "pages" in found["detail"] and "author" in found["detail"]
    assert (await client.get("/api/books")).json()["total"] == 0
    book = (await client.post("/api/books", json={"title": "t", "author": real})).json()
    for method in ("PUT", "PATCH"):
        sent = await client.request(method, f"/api/books/{book['_id']}", json=body)
        assert [e["field"] for e in assert_problem(sent, 422)["errors"]] == ["pages", "author"]
    assert (await client.get(f"/api/books/{book['_id']}")).json() == book
    alone = await client.post("/api/books", json={"title": "t", "author": str(ObjectId())})
    assert_coded(alone, 422, "missing_link", "author")  # with nothing else wrong: as before


async def test_a_database_failure_in_the_link_check_stays_a_503_beside_a_bad_value(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*args: Any) -> set[Any]:
        raise store.unavailable()

    monkeypatch.setattr(store, "existing_ids", down)
    body = {"title": "t", "pages": "many", "author": str(ObjectId())}
    assert_problem(await client.post("/api/books", json=body), 503)


async def test_links_to_existing_documents_are_stored(client: httpx.AsyncClient) -> None:
    real = await new_author(client)
    sent = await client.post("/api/books", json={"title": "t", "author": real})
    assert sent.status_code == 201 and sent.json()["author"] == real


class Member(Document):
    name: str
    badge: Annotated[str, Hidden] = "same-for-all"

    class Settings:
        name = "members"
        indexes = [IndexModel([("badge", 1)], unique=True)]


async def test_a_409_never_names_a_hidden_field(make_client: MakeClient) -> None:
    client = await make_client(models=[*ALL_MODELS, Member])
    assert (await client.post("/api/members", json={"name": "a"})).status_code == 201
    body = assert_coded(await client.post("/api/members", json={"name": "b"}), 409, "conflict")
    assert "badge" not in json.dumps(body)


# -- entries replace, never merge -------------------------------------------------------------


async def test_an_entry_body_replaces_the_derived_one(make_client: MakeClient) -> None:
    entry = {"name": "authors",
             "ref": {"$id": "authors", "type": "object",
                     "properties": {"created": {"type": "string", "format": "date"}}},
             "routePost": {"body": {"$ref": "authors#"}}}
    client = await make_client(schemas=[entry])
    sent = await client.post("/api/authors", json={"firstName": "A", "lastName": "B",
                                                   "created": "1969-07-06"})
    assert sent.status_code == 201, sent.text
    wrong = await client.post("/api/authors", json={"firstName": "A", "lastName": "B",
                                                    "created": "1969-07-06T00:00:00Z"})
    assert_coded(wrong, 422, "invalid_value", "created")


async def test_an_entry_querystring_replaces_the_derived_one(make_client: MakeClient) -> None:
    entry = {"name": "books", "routeList": {"querystring": {
        "type": "object", "properties": {"limit": {"type": "integer", "maximum": 5}}}}}
    client = await make_client(schemas=[entry])
    body = assert_coded(await client.get("/api/books?limit=6"), 400, "invalid_value", "limit")
    assert body["detail"] == "limit: must be at most 5"
    assert (await client.get("/api/books?limit=5&sort=title")).status_code == 200


# -- request ids ------------------------------------------------------------------------------


async def test_a_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/api/books", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/api/books/nope")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    replaced = await client.get("/api/books", headers={"X-Request-ID": "x" * 500})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
    missing = await client.get("/api/no-such-route", headers={"X-Request-ID": "r1"})
    assert missing.headers["x-request-id"] == "r1"


class Exploding(Document):
    name: str = ""

    class Settings:
        name = "exploding"

    @classmethod
    async def api_post(cls, data: dict[str, Any], request: Any) -> Any:
        raise RuntimeError("secret internals at 0xdeadbeef")


async def test_a_500_carries_the_request_id_that_is_in_the_log(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(models=[Exploding])
    with caplog.at_level(logging.ERROR, logger="autoapi"):
        sent = await client.post("/api/exploding", json={}, headers={"X-Request-ID": "req-42"})
    body = assert_coded(sent, 500, "internal")
    assert body["request_id"] == "req-42" and "secret" not in sent.text
    lines = [r for r in caplog.records if r.name == "autoapi"]
    assert lines and all("[request_id=req-42]" in r.getMessage() for r in lines)
    assert all(getattr(r, "request_id", None) == "req-42" for r in lines)


async def test_check_auth_log_lines_carry_the_request_id(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    def check_auth(request: Any) -> None:
        raise KeyError("100%")

    client = await make_client(check_auth=check_auth)
    with caplog.at_level(logging.WARNING, logger="autoapi"):
        sent = await client.get("/api/books", headers={"X-Request-ID": "50%-off"})
    assert_coded(sent, 401, "unauthorized")
    assert any("[request_id=50%-off]" in r.getMessage() for r in caplog.records)
