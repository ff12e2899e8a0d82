"""Numbers sent as text that no field can store: 422 naming the field, nothing written.

pydantic reads "1e400" as infinity and a 30-digit string as a 30-digit int; such text is
refused as the same number written in JSON is, on every route that writes.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import MakeClient, assert_problem
from tests.models import Author, Book

OID = "5d2620aff4df8b3c4f4f03d6"
BULK = ["list", "get", "post", "patch", "put", "bulk_patch"]
TOO_BIG_INT = "9223372036854775808"  # 2^63
OUT_OF_RANGE = "the number '{}' is out of range for this field"

# (a body's field values, the field named, the message)
BOOK_FAULTS = [
    pytest.param({"pages": "9" * 30}, "pages", OUT_OF_RANGE.format("9" * 30), id="int-30-digits"),
    pytest.param({"pages": TOO_BIG_INT}, "pages", OUT_OF_RANGE.format(TOO_BIG_INT), id="int-2^63"),
    pytest.param(
        {"pages": "-9223372036854775809"},
        "pages",
        OUT_OF_RANGE.format("-9223372036854775809"),
        id="int-below-int64",
    ),
    pytest.param({"price": "1e400"}, "price", OUT_OF_RANGE.format("1e400"), id="float-1e400"),
    pytest.param({"price": "-1e999"}, "price", OUT_OF_RANGE.format("-1e999"), id="float-neg"),
    pytest.param({"price": "inf"}, "price", "must be a finite number", id="float-inf"),
    pytest.param({"price": "-Infinity"}, "price", "must be a finite number", id="float-Infinity"),
    pytest.param({"price": "nan"}, "price", "must be a finite number", id="float-nan"),
]
AUTHOR_FAULTS = [
    pytest.param({"biography": {"born": "9" * 20}}, "biography.born", id="nested-object"),
    pytest.param({"biography.born": TOO_BIG_INT}, "biography.born", id="dot-path"),
]


def message_of(response: httpx.Response, field: str) -> str:
    body = assert_problem(response, 422, field)
    assert body["code"] == "invalid_value"
    messages = [e["message"] for e in body["errors"] if e["field"] == field]
    assert len(messages) == 1, body
    return str(messages[0])


async def stored_books() -> list[dict[str, Any]]:
    return [b.model_dump(exclude={"id", "created"}) for b in await Book.find_all().to_list()]


@pytest.mark.parametrize(("values", "field", "message"), BOOK_FAULTS)
async def test_create_refuses_text_no_field_can_store(
    client: httpx.AsyncClient, values: dict[str, Any], field: str, message: str
) -> None:
    response = await client.post("/api/books", json={"title": "x", **values})
    assert message_of(response, field) == message
    assert (await client.get("/api/books")).json()["total"] == 0


@pytest.mark.parametrize(("values", "field"), AUTHOR_FAULTS)
async def test_create_refuses_such_text_in_an_embedded_field(
    client: httpx.AsyncClient, values: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/authors", json={"firstName": "a", "lastName": "b", **values})
    assert "out of range" in message_of(response, field)
    assert await Author.find_all().count() == 0


@pytest.mark.parametrize(("form", "field", "message"), [
    ("price=1e400", "price", OUT_OF_RANGE.format("1e400")),
    ("price=-1e999", "price", OUT_OF_RANGE.format("-1e999")),
    ("price=inf", "price", "must be a finite number"),
    ("pages=" + TOO_BIG_INT, "pages", OUT_OF_RANGE.format(TOO_BIG_INT)),
    ("biography.born=" + "9" * 20, "biography.born", OUT_OF_RANGE.format("9" * 20)),
])
async def test_form_bodies_refuse_numbers_no_field_can_store(
    client: httpx.AsyncClient, form: str, field: str, message: str
) -> None:
    author = field.startswith("biography")
    url = "/api/authors" if author else "/api/books"
    required = "firstName=a&lastName=b" if author else "title=abc"
    response = await client.post(
        url,
        content=f"{required}&{form}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert message_of(response, field) == message
    assert await Book.find_all().count() == 0
    assert await Author.find_all().count() == 0


@pytest.mark.parametrize(("number", "field"), [("1e400", "price"), ("9" * 25, "pages")])
async def test_text_reads_as_the_same_number_written_in_json(
    client: httpx.AsyncClient, number: str, field: str
) -> None:
    as_json = await client.post(
        "/api/books",
        content=f'{{"title": "x", "{field}": {number}}}',
        headers={"content-type": "application/json"},
    )
    as_text = await client.post("/api/books", json={"title": "x", field: number})
    assert message_of(as_text, field) == message_of(as_json, field)


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize(("values", "field", "message"), BOOK_FAULTS)
async def test_updates_refuse_such_text_and_change_nothing(
    client: httpx.AsyncClient, method: str, values: dict[str, Any], field: str, message: str
) -> None:
    made = await client.post("/api/books", json={"title": "x", "pages": 3, "price": 1.5})
    before = await stored_books()
    url = f"/api/books/{made.json()['_id']}"
    response = await client.request(method, url, json=values)
    assert message_of(response, field) == message
    assert await stored_books() == before


@pytest.mark.parametrize(("values", "field"), AUTHOR_FAULTS)
async def test_patch_refuses_such_text_in_an_embedded_field(
    client: httpx.AsyncClient, values: dict[str, Any], field: str
) -> None:
    made = await client.post("/api/authors", json={"firstName": "a", "lastName": "b"})
    response = await client.patch(f"/api/authors/{made.json()['_id']}", json=values)
    assert "out of range" in message_of(response, field)
    author = await Author.find_all().to_list()
    assert [a.biography.born for a in author] == [None]


@pytest.mark.parametrize("mode", ["CoU", "CoR"])
@pytest.mark.parametrize(("values", "field", "message"), BOOK_FAULTS[::3])
async def test_upserts_refuse_such_text_and_write_nothing(
    client: httpx.AsyncClient, mode: str, values: dict[str, Any], field: str, message: str
) -> None:
    body = {"_id": OID, "title": "x", **values}
    response = await client.post("/api/books", json=body, headers={"X-HTTP-Method": mode})
    assert message_of(response, field) == message
    assert_problem(await client.get(f"/api/books/{OID}"), 404)


@pytest.mark.parametrize(("values", "field", "message"), BOOK_FAULTS[1::3])
async def test_bulk_create_names_the_item_and_writes_nothing(
    client: httpx.AsyncClient, values: dict[str, Any], field: str, message: str
) -> None:
    items = [{"title": "fine"}, {"title": "x", **values}]
    response = await client.post("/api/books", json=items)
    assert message_of(response, f"[1].{field}") == message
    assert await Book.find_all().count() == 0


@pytest.mark.parametrize(("values", "field", "message"), BOOK_FAULTS[2::3])
async def test_bulk_patch_refuses_such_text_and_changes_nothing(
    make_client: MakeClient, values: dict[str, Any], field: str, message: str
) -> None:
    client = await make_client(methods=BULK)
    for i in range(3):
        await Book(title=f"b{i}", isGood=True, pages=i).insert()
    before = await stored_books()
    response = await client.patch("/api/books", params={"filter": "isGood"}, json=values)
    assert message_of(response, field) == message
    assert await stored_books() == before


@pytest.mark.parametrize(("values", "stored"), [
    ({"pages": "9223372036854775807"}, ("pages", 2**63 - 1)),
    ({"pages": "-9223372036854775808"}, ("pages", -(2**63))),
    ({"price": "1.7976931348623157e308"}, ("price", 1.7976931348623157e308)),
    ({"price": "1e-400"}, ("price", 0.0)),
])
async def test_text_that_fits_is_still_stored(
    client: httpx.AsyncClient, values: dict[str, Any], stored: tuple[str, Any]
) -> None:
    response = await client.post("/api/books", json={"title": "x", **values})
    assert response.status_code == 201, response.text
    key, value = stored
    assert (await stored_books())[0][key] == value
