"""Values of `filter` and `where` no field can store, and `revision_id` in the query options."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from autoapi.coerce import CoercionError, coerce_json, coerce_text
from autoapi.errors import ProblemError
from autoapi.introspect import inspect_model
from autoapi.query import parse_list_query
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS, Book, Versioned

BOOK = inspect_model(Book)

# --- numbers no field can store ---------------------------------------------------------

# (parameter, value, what the message says); each is a 400 naming the parameter.
UNSTORABLE: list[tuple[str, str, str]] = [
    ("where", json.dumps({"price": "1e400"}), "out of range"),
    ("where", json.dumps({"price": "-1e400"}), "out of range"),
    ("where", json.dumps({"price": {"$gt": "1e400"}}), "out of range"),
    ("where", json.dumps({"price": {"$in": [1, "2e308"]}}), "out of range"),
    ("where", json.dumps({"price": {"$not": {"$lte": "1e999"}}}), "out of range"),
    ("where", '{"price": 1e400}', "out of range"),
    ("where", '{"price": NaN}', "NaN"),
    ("where", '{"price": Infinity}', "Infinity"),
    ("where", json.dumps({"price": "inf"}), "number such as"),
    ("where", json.dumps({"price": "nan"}), "number such as"),
    ("where", json.dumps({"pages": "9223372036854775808"}), "64-bit"),
    ("where", json.dumps({"pages": "-9223372036854775809"}), "64-bit"),
    ("where", json.dumps({"pages": 1e300}), "pages: "),
    ("filter", "price=1e400", "out of range"),
    ("filter", "price=-1e999", "out of range"),
    ("filter", "price=inf", "number such as"),
    ("filter", "price=nan", "number such as"),
    ("filter", "price=Infinity", "number such as"),
    ("filter", "pages=99999999999999999999999", "64-bit"),
    ("filter", "pages=9223372036854775808", "64-bit"),
]

# The largest values each type stores are still taken.
STORABLE: list[tuple[str, str]] = [
    ("where", json.dumps({"price": "1e308"})),
    ("where", json.dumps({"price": {"$lt": "-1.7e308"}})),
    ("where", json.dumps({"pages": "9223372036854775807"})),
    ("where", json.dumps({"pages": -(2**63)})),
    ("filter", "price=1.7976931348623157e308"),
    ("filter", "pages=-9223372036854775808"),
]


@pytest.mark.parametrize(("param", "value", "says"), UNSTORABLE)
async def test_unstorable_numbers_are_a_400_naming_the_parameter(
    client: httpx.AsyncClient, param: str, value: str, says: str
) -> None:
    await client.post("/api/books", json={"title": "t", "pages": 3, "price": 1.5})
    response = await client.get("/api/books", params={param: value})
    body = assert_problem(response, 400, param)
    assert body["detail"].startswith(f"{param}: ")
    assert says in body["detail"]
    assert body["errors"][0]["field"] == param


@pytest.mark.parametrize(("param", "value"), STORABLE)
async def test_numbers_at_the_edge_of_storage_are_taken(
    client: httpx.AsyncClient, param: str, value: str
) -> None:
    response = await client.get("/api/books", params={param: value})
    assert response.status_code == 200, response.text


# (field, text, accepted): the pure coercion of text, as `filter` and `where` strings use it.
TEXT_NUMBERS: list[tuple[str, str, bool]] = [
    ("price", "1e308", True),
    ("price", "1e400", False),
    ("price", "-1e400", False),
    ("price", "2e308", False),
    ("price", "inf", False),
    ("price", "nan", False),
    ("pages", "9223372036854775807", True),
    ("pages", "9223372036854775808", False),
    ("pages", "-9223372036854775809", False),
]


@pytest.mark.parametrize(("path", "text", "accepted"), TEXT_NUMBERS)
def test_coerced_text_is_a_number_the_field_stores(path: str, text: str, accepted: bool) -> None:
    field = BOOK.resolve(path)
    assert field is not None
    for coerce in (coerce_text, coerce_json):
        if accepted:
            assert coerce(field, text) == (float if path == "price" else int)(text)
        else:
            with pytest.raises(CoercionError):
                coerce(field, text)


# --- revision_id ------------------------------------------------------------------------

# (option, value built from a stored revision); `{rev}` is replaced by that revision.
REVISION_OPTIONS: list[tuple[str, str]] = [
    ("fields", "revision_id"),
    ("fields", "-revision_id"),
    ("sort", "-revision_id"),
    ("filter", "revision_id={rev}"),
    ("where", '{{"revision_id": "{rev}"}}'),
    ("where", '{{"revision_id": {{"$in": ["{rev}"]}}}}'),
]


def versioned_query(shown: bool, option: str, value: str) -> Any:
    spec = inspect_model(Versioned, revision_shown=shown)
    return parse_list_query(spec, {option: [value.format(rev=uuid.UUID(int=1))]}, lambda m: spec)


@pytest.mark.parametrize(("option", "value"), REVISION_OPTIONS)
def test_a_rendered_revision_parses_in_the_query_options(option: str, value: str) -> None:
    assert versioned_query(True, option, value) is not None


@pytest.mark.parametrize(("option", "value"), REVISION_OPTIONS)
def test_an_unrendered_revision_is_an_unknown_field(option: str, value: str) -> None:
    with pytest.raises(ProblemError) as caught:
        versioned_query(False, option, value)
    assert caught.value.status == 400
    assert "unknown field 'revision_id'" in str(caught.value.detail)


@pytest.fixture
async def revisions(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    docs = []
    for name in ("a", "b", "c"):
        response = await client.post("/api/versioned", json={"name": name})
        docs.append(response.json())
    return docs


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item.get("name", "") for item in response.json()["items"]]


async def test_the_rendered_revision_filters_sorts_and_projects(
    client: httpx.AsyncClient, revisions: list[dict[str, Any]]
) -> None:
    rev = revisions[1]["revision_id"]
    for option, value in REVISION_OPTIONS:
        response = await client.get("/api/versioned", params={option: value.format(rev=rev)})
        assert response.status_code == 200, (option, response.text)
    get = client.get
    assert names(await get("/api/versioned", params={"filter": f"revision_id={rev}"})) == ["b"]
    where = json.dumps({"revision_id": {"$ne": rev}})
    assert sorted(names(await get("/api/versioned", params={"where": where}))) == ["a", "c"]
    only = (await get("/api/versioned", params={"fields": "revision_id"})).json()["items"]
    assert {frozenset(item) for item in only} == {frozenset({"_id", "revision_id"})}
    ordered = sorted(revisions, key=lambda doc: uuid.UUID(doc["revision_id"]).bytes)
    by_rev = await get("/api/versioned", params={"sort": "revision_id"})
    assert names(by_rev) == [doc["name"] for doc in ordered]


async def test_a_cursor_walks_the_revision_order(
    client: httpx.AsyncClient, revisions: list[dict[str, Any]]
) -> None:
    params = {"sort": "revision_id", "limit": "1"}
    seen = names(response := await client.get("/api/versioned", params=params))
    while response.json()["next"]:
        cursor = {**params, "cursor": response.json()["next"]}
        seen += names(response := await client.get("/api/versioned", params=cursor))
    assert sorted(seen) == ["a", "b", "c"]


@pytest.mark.parametrize(("option", "value"), REVISION_OPTIONS)
async def test_an_unrendered_revision_answers_as_an_unknown_field(
    make_client: MakeClient, option: str, value: str
) -> None:
    client = await make_client(models=ALL_MODELS, expose_version_key=False)
    await client.post("/api/versioned", json={"name": "a"})
    rev = str(uuid.UUID(int=1))
    hidden = await client.get("/api/versioned", params={option: value.format(rev=rev)})
    unknown = value.replace("revision_id", "nosuch").format(rev=rev)
    absent = await client.get("/api/versioned", params={option: unknown})
    body = assert_problem(hidden, 400, option)
    assert body["detail"] == assert_problem(absent, 400, option)["detail"].replace(
        "nosuch", "revision_id"
    )


@pytest.mark.parametrize("shown", [True, False])
async def test_the_document_offers_the_revision_where_the_options_take_it(
    make_client: MakeClient, shown: bool
) -> None:
    api = await make_client(ALL_MODELS, expose_version_key=shown)
    schemas = (await api.get("/api/openapi.json")).json()["components"]["schemas"]
    for role in ("SortKey", "FieldKey"):
        keys = schemas[f"Versioned{role}"]["enum"]
        assert ("revision_id" in keys) is shown and ("-revision_id" in keys) is shown
