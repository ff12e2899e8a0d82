"""The values in a cursor token are checked like `where` values before use."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import bson
import httpx
import pytest
from beanie import Document
from bson import Decimal128, ObjectId
from bson.binary import Binary

from autoapi.cursors import Cursor, CursorError, Scope, decode_cursor, encode_cursor
from autoapi.introspect import inspect_model
from autoapi.pages import cursor_query
from tests.conftest import MakeClient, assert_problem
from tests.models import Book

BOOK = inspect_model(Book)
HEX = "5d2620aff4df8b3c4f4f03d6"


def forged(token: str, value: Any) -> str:
    """`token` with its first boundary value replaced: the route, sort and digest still fit."""
    payload = bson.decode(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    payload["b"][0] = value
    return base64.urlsafe_b64encode(bson.encode(payload)).decode().rstrip("=")


# (sort field, boundary value, what the refusal says or None when taken)
BOUNDARIES: list[tuple[str, Any, str | None]] = [
    ("pages", 1, None),
    ("pages", 2.0, None),
    ("pages", -(2**63), None),
    ("pages", 1.5, "whole number"),
    ("pages", -0.25, "whole number"),
    ("pages", float("inf"), "pages"),
    ("pages", float("nan"), "pages"),
    ("pages", Decimal128("1.5"), "whole number"),
    ("pages", "1", "a string for pages"),
    ("pages", True, "a bool for pages"),
    ("price", 1.5, None),
    ("price", 2, None),
    ("price", float("inf"), "finite"),
    ("price", float("-inf"), "finite"),
    ("price", float("nan"), "finite"),
    ("price", Decimal128("1E+400"), "finite"),
    ("price", Decimal128("NaN"), "finite"),
]


@pytest.mark.parametrize(("path", "value", "refusal"), BOUNDARIES)
async def test_forged_boundaries_are_checked_like_where_values(
    client: httpx.AsyncClient, path: str, value: Any, refusal: str | None
) -> None:
    for pages in range(3):
        await client.post("/api/books", json={"title": f"t{pages}", "pages": pages})
    params = {"sort": path, "limit": "1"}
    token = (await client.get("/api/books", params=params)).json()["next"]
    response = await client.get("/api/books", params={**params, "cursor": forged(token, value)})
    if refusal is None:
        assert response.status_code == 200, response.text
        return
    body = assert_problem(response, 400, "cursor")
    assert body["detail"].startswith("cursor: ")
    assert refusal in body["detail"]


@pytest.mark.parametrize(("path", "value", "refusal"), BOUNDARIES)
def test_decoded_boundaries_are_checked_like_where_values(
    path: str, value: Any, refusal: str | None
) -> None:
    scope = Scope("books", ((path, 1), ("_id", 1)), "digest")
    token = encode_cursor(Cursor(scope, "next", (value, ObjectId(HEX))))
    if refusal is None:
        assert decode_cursor(token, scope, BOOK).values[0] == value
        return
    with pytest.raises(CursorError, match=refusal):
        decode_cursor(token, scope, BOOK)


class Ticket(Document):
    code: uuid.UUID

    class Settings:
        name = "tickets"


def test_a_uuid_boundary_is_queried_in_its_stored_form() -> None:
    code = uuid.UUID(int=7)
    scope = Scope("tickets", (("code", 1), ("_id", 1)), "digest")
    keyset, _ = cursor_query(Cursor(scope, "next", (code, ObjectId(HEX))))
    assert keyset["$or"][0] == {"code": {"$gt": Binary.from_uuid(code)}}


async def test_a_cursor_walks_a_uuid_sort(make_client: MakeClient) -> None:
    client = await make_client(models=[Ticket])
    codes = sorted(uuid.UUID(int=n * 7919) for n in range(1, 5))
    for code in reversed(codes):
        await client.post("/api/tickets", json={"code": str(code)})
    params = {"sort": "code", "limit": "1"}
    response = await client.get("/api/tickets", params=params)
    seen = [item["code"] for item in response.json()["items"]]
    while response.json()["next"]:
        response = await client.get(
            "/api/tickets", params={**params, "cursor": response.json()["next"]}
        )
        assert response.status_code == 200, response.text
        seen += [item["code"] for item in response.json()["items"]]
    assert seen == [str(code) for code in codes]
