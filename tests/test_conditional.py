"""ETags, If-Match / If-None-Match parsing, and the atomic write guard."""

from __future__ import annotations

import datetime
import os
import uuid
from typing import Any

import mongomock
import pytest
from bson import ObjectId
from bson.binary import Binary

from autoapi.conditional import EntityTag, TagList, etag, parse_tags, write_guard

OID = ObjectId("5d2620aff4df8b3c4f4f03d6")
STORED: dict[str, Any] = {
    "_id": OID,
    "title": "$gone",  # inside $expr this would read the field `gone`, were it not a literal
    "when": datetime.datetime(2024, 1, 2, 3, 4, 5, 678000),
    "nested": {"a": [1, 2.5, None], "b": "x"},
    "gone": None,
}
REV = uuid.UUID("12345678-1234-5678-1234-567812345678")


def test_etag_is_a_strong_digest_of_the_stored_document() -> None:
    tag = etag(STORED, None)
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert tag == etag(dict(STORED), None)
    assert len(tag) == 24


@pytest.mark.parametrize(
    "change",
    [
        {"title": "other"},
        {"gone": 0},
        {"extra": None},  # even a key the model does not declare
        {"nested": {"a": [1, 2.5], "b": "x"}},
        {"when": datetime.datetime(2024, 1, 2, 3, 4, 5, 679000)},
    ],
)
def test_any_stored_change_changes_the_digest(change: dict[str, Any]) -> None:
    assert etag({**STORED, **change}, None) != etag(STORED, None)


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        (REV, f'"{REV}"'),
        (Binary.from_uuid(REV), f'"{REV}"'),  # as pymongo hands a standard UUID back
        ("abc", '"abc"'),
    ],
)
def test_revision_models_use_the_revision(revision: Any, expected: str) -> None:
    assert etag({**STORED, "revision_id": revision}, "revision_id") == expected
    assert etag({**STORED, "revision_id": revision, "title": "x"}, "revision_id") == expected


def test_a_revision_model_document_without_a_revision_falls_back_to_the_digest() -> None:
    assert etag(STORED, "revision_id") == etag(STORED, None)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("*", TagList(any=True)),
        (" * ", TagList(any=True)),
        ('"a"', TagList(tags=(EntityTag("a"),))),
        ('W/"a"', TagList(tags=(EntityTag("a", weak=True),))),
        ('"a", W/"b" ,"c"', TagList(tags=(EntityTag("a"), EntityTag("b", True), EntityTag("c")))),
        ('"a,b"', TagList(tags=(EntityTag("a,b"),))),  # a comma may sit inside a tag
        ('"a",,"b"', TagList(tags=(EntityTag("a"), EntityTag("b")))),  # empty list items
        ('""', TagList(tags=(EntityTag(""),))),
        ("a", TagList()),  # unquoted: matches nothing
        ('"a', TagList()),
        ('"a" "b"', TagList()),
        ('w/"a"', TagList()),
        ('"a b"', TagList()),
        ('"a", *', TagList()),
        ("", TagList()),
    ],
)
def test_parse_tags(header: str | None, expected: TagList | None) -> None:
    assert parse_tags(header) == expected


@pytest.mark.parametrize(
    ("header", "current", "strong", "weak"),
    [
        ('"a"', '"a"', True, True),
        ('"b", "a"', '"a"', True, True),
        ('W/"a"', '"a"', False, True),  # If-Match compares strongly, If-None-Match weakly
        ('"a"', '"b"', False, False),
        ("*", '"a"', True, True),
        ("*", None, False, False),  # the document is gone
        ('"a"', None, False, False),
        ("garbage", '"a"', False, False),
    ],
)
def test_matching(header: str, current: str | None, strong: bool, weak: bool) -> None:
    tags = parse_tags(header)
    assert tags is not None
    assert (tags.matches_strong(current), tags.matches_weak(current)) == (strong, weak)


def test_guard_for_revision_models_is_the_revision() -> None:
    read = {**STORED, "revision_id": REV}
    assert write_guard(read, "revision_id") == {"revision_id": REV}


def test_guard_without_a_revision_compares_the_whole_document_as_a_literal() -> None:
    assert write_guard(STORED, None) == {"$expr": {"$eq": ["$$ROOT", {"$literal": STORED}]}}
    assert write_guard(STORED, "revision_id") == write_guard(STORED, None)


def check_guard_on(coll: Any) -> None:
    """The guard lets a write through while the document is unchanged, and only then."""
    coll.delete_many({})
    coll.insert_one(dict(STORED))
    read = coll.find_one({"_id": OID})
    guard = write_guard(read, None)
    assert coll.update_one({"_id": OID, **guard}, {"$set": {"n": 1}}).modified_count == 1
    # The document changed since `read`: the same guarded write no longer applies.
    assert coll.update_one({"_id": OID, **guard}, {"$set": {"n": 2}}).matched_count == 0
    assert coll.delete_one({"_id": OID, **guard}).deleted_count == 0
    fresh = coll.find_one({"_id": OID})
    assert etag(fresh, None) != etag(read, None)
    assert coll.delete_one({"_id": OID, **write_guard(fresh, None)}).deleted_count == 1


def test_guard_on_mongomock() -> None:
    check_guard_on(mongomock.MongoClient().db.guarded)


@pytest.mark.skipif(
    os.environ.get("MONGODB_URL") is None, reason="MONGODB_URL is not set (CI's wire lane sets it)"
)
def test_guard_on_a_server() -> None:
    import pymongo

    client: Any = pymongo.MongoClient(os.environ["MONGODB_URL"], serverSelectionTimeoutMS=5000)
    try:
        coll = client.autoapi_conditional.guarded
        check_guard_on(coll)
        # The server compares documents key by key in stored order, as MongoDB does.
        coll.insert_one({"_id": 1, "a": 1, "b": 2})
        assert coll.count_documents({"$expr": {"$eq": ["$$ROOT", {"b": 2, "a": 1, "_id": 1}]}}) == 0
        coll.drop()
    finally:
        client.close()
