"""The fast paths of serialize.py give exactly what the slow, obvious code gives."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

import pytest
from beanie import Document, Link, PydanticObjectId, init_beanie
from beanie.odm.utils.dump import get_dict
from bson import DBRef, ObjectId
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse as StarletteJSONResponse

from autoapi import store
from autoapi.serialize import JSONResponse, jsonable
from autoapi.store import encode_document, stored_as_encoded
from tests.conftest import MakeClient
from tests.models import ALL_MODELS, Author, Book, Publisher, Thing, Versioned


class Colour(enum.Enum):
    RED = "r"


class Part(BaseModel):
    count: int = 1
    day: datetime.date = datetime.date(2020, 1, 2)


class Unusual(Document):
    """Values that Beanie's encoder converts, each unlike a plain JSON value."""

    amount: decimal.Decimal = decimal.Decimal("1.10")
    token: uuid.UUID = Field(default_factory=uuid.uuid4)
    colour: Colour = Colour.RED
    wait: datetime.timedelta = datetime.timedelta(seconds=5)
    blob: bytes = b"xy"
    numbers: set[int] = Field(default_factory=lambda: {1, 2})
    parts: list[Part] = Field(default_factory=lambda: [Part()])
    nested: dict[str, list[Part]] = Field(default_factory=lambda: {"x": [Part()]})
    renamed: str = Field("v", alias="storedAs")
    books: list[Link[Book]] = Field(default_factory=list)

    class Settings:
        name = "unusual"


async def test_encode_document_matches_beanie(database: Any) -> None:
    await init_beanie(database=database, document_models=[*ALL_MODELS, Unusual])
    publisher = Publisher(name="p")
    await publisher.insert()
    author = Author(firstName="a", lastName="b", publisher=publisher,  # type: ignore[arg-type]
                    birthday=datetime.date(1990, 1, 1), meta={"k": [1, {"d": 2}]})
    await author.insert()
    book = Book(title="t", author=author, tags=["x"])  # type: ignore[arg-type]
    await book.insert()
    versioned = Versioned(name="v")
    await versioned.insert()
    unusual = Unusual(books=[book])  # type: ignore[list-item]
    await unusual.insert()
    author_read, book_read = await Author.get(author.id), await Book.get(book.id)
    assert author_read is not None and book_read is not None
    docs: list[Document] = [publisher, author, author_read, book, book_read, versioned,
                            Thing(id="x"), unusual]
    for doc in docs:
        mine, beanie = encode_document(doc), get_dict(doc, to_db=True)
        assert mine == beanie
        assert list(mine) == list(beanie)
        assert [type(v) for v in mine.values()] == [type(v) for v in beanie.values()]


PLAIN_CONTENT = [
    {"total": 2, "items": [{"_id": "a" * 24, "title": "é ü \u2028", "n": 1, "x": 1.5}]},
    {"ok": True, "none": None, "nested": [[1, 2], {"a": "b"}], "big": 2**70, "neg": -(2**63)},
    [0.1, -0.0, 12345678.9, 1e15],
    None,
]


@pytest.mark.parametrize("content", PLAIN_CONTENT)
def test_json_response_bytes_match_starlette(content: Any) -> None:
    assert JSONResponse(content).body == StarletteJSONResponse(content).body


@pytest.mark.parametrize("content", [{1: "int key"}, {"d": datetime.date(2020, 1, 1)}])
def test_json_response_leaves_non_plain_content_to_starlette(content: Any) -> None:
    def body(cls: type[StarletteJSONResponse]) -> bytes | str:
        try:
            return bytes(cls(content).body)
        except TypeError as exc:
            return str(exc)

    assert body(JSONResponse) == body(StarletteJSONResponse)


def test_json_response_encodes_what_json_refuses() -> None:
    """Only a custom `api_values` can hand these over; orjson answers instead of a 500."""
    token = uuid.uuid4()
    assert JSONResponse({"e": Colour.RED, "u": token}).body == f'{{"e":"r","u":"{token}"}}'.encode()
    assert JSONResponse({"n": float("nan")}).body == b'{"n":null}'


def test_jsonable_fast_types() -> None:
    oid = ObjectId()
    when = datetime.datetime(2020, 1, 2, 3, 4, 5, 678000)
    assert jsonable(oid) == str(oid)
    assert jsonable(when) == "2020-01-02T03:04:05.678Z"
    assert jsonable(DBRef("authors", oid)) == str(oid)
    assert jsonable([oid, 1, "x", None]) == [str(oid), 1, "x", None]
    assert jsonable({"a": {"b": when}}) == {"a": {"b": "2020-01-02T03:04:05.678Z"}}
    assert jsonable((1, oid)) == [1, str(oid)]


# -- the insert: through the driver, storing what Beanie's own insert stores ----------------


class Noted(Document):
    """Settings under which Beanie's insert does more than store the encoded document."""

    name: str
    note: str | None = None

    class Settings:
        name = "noted"
        keep_nulls = False


class Checked(Document):
    name: str

    class Settings:
        name = "checked"
        validate_on_save = True


class Tracked(Document):
    name: str

    class Settings:
        name = "tracked"
        use_state_management = True


async def test_only_plain_settings_store_the_encoded_document(database: Any) -> None:
    models = [*ALL_MODELS, Unusual, Noted, Checked, Tracked]
    await init_beanie(database=database, document_models=models)
    assert [stored_as_encoded(m) for m in (Book, Versioned, Unusual)] == [True, True, True]
    assert [stored_as_encoded(m) for m in (Noted, Checked, Tracked)] == [False, False, False]


async def test_an_insert_stores_what_beanies_insert_stores(database: Any) -> None:
    await init_beanie(database=database, document_models=[*ALL_MODELS, Unusual])
    author = Author(firstName="a", lastName="b", birthday=datetime.date(1990, 1, 1))
    await author.insert()
    token = uuid.uuid4()
    made = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000)  # not each instance's own `now`
    pairs: list[tuple[Document, Document]] = [
        (Book(title="t", author=author, tags=["x"], created=made),
         Book(title="t", author=author, tags=["x"], created=made)),
        (Unusual(token=token, books=[]), Unusual(token=token, books=[])),
        (Versioned(name="v"), Versioned(name="v")),
    ]
    for mine, theirs in pairs:
        await store.insert(mine)
        await theirs.insert()
        assert type(mine.id) is type(theirs.id) is PydanticObjectId
        coll = store.collection(type(mine))
        stored = await coll.find_one({"_id": mine.id})
        expected = await coll.find_one({"_id": theirs.id})
        assert stored is not None and expected is not None
        for key in ("_id", "revision_id"):  # each document's own
            assert (key in stored) == (key in expected)
            stored.pop(key, None), expected.pop(key, None)
        assert stored == expected
        assert list(stored) == list(expected)


async def test_a_model_that_drops_nulls_is_inserted_by_beanie(make_client: MakeClient) -> None:
    client = await make_client(models=[Noted, Checked, Tracked])
    response = await client.post("/api/noted", json={"name": "n"})
    assert response.status_code == 201, response.text
    stored = await store.collection(Noted).find_one({"name": "n"})
    assert stored is not None and "note" not in stored  # Beanie's keep_nulls=False
    for path in ("/api/checked", "/api/tracked"):
        response = await client.post(path, json={"name": "c"})
        assert response.status_code == 201, response.text
        assert response.json()["name"] == "c"
