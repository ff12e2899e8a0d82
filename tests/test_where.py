"""`where`, `match` and `search`: the parser table (no database), a few runs on mongomock,
and the documentation check."""

from __future__ import annotations

import asyncio
import datetime
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from beanie import Document, Link, init_beanie
from bson import DBRef, ObjectId
from pydantic import BaseModel, Field
from pymongo.errors import OperationFailure

from autoapi.errors import ProblemError
from autoapi.introspect import ModelSpec, inspect_model
from autoapi.store import db_problem
from autoapi.where import (
    LIMITS,
    MAX_DEPTH,
    MAX_OPERATORS,
    MAX_PATTERN,
    MAX_SEARCH,
    MAX_VALUES,
    MAX_WHERE_BYTES,
    OPERATORS,
    parse_match,
    parse_where,
    search_clause,
)
from tests.backends import new_client

ROOT = Path(__file__).resolve().parents[1]
HEX = "5f0d1c2b3a495867768594a3"
BRACKETS = '\\"{{{{{{[[[[[[\\\\"' + "{" * 12  # escapes and brackets inside a string


class WherePublisher(Document):
    name: str = ""

    class Settings:
        name = "where_publishers"


class WhereBio(BaseModel):
    born: int | None = None
    city: str = ""


class WhereAuthor(Document):
    firstName: str = ""
    lastName: str = ""
    bananaCount: int = 0
    appleCount: int = 0
    created: datetime.datetime | None = None
    publisher: Link[WherePublisher] | None = None
    bio: WhereBio = Field(default_factory=WhereBio)
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    secret: str = Field(default="", exclude=True)

    class Settings:
        name = "where_authors"


MODELS: list[type[Document]] = [WherePublisher, WhereAuthor]


@functools.cache
def author_spec() -> ModelSpec:
    """inspect_model needs an initialised model, so initialise on an in-memory database."""
    database = new_client(None)["where_tests"]
    asyncio.run(init_beanie(database=database, document_models=MODELS))
    return inspect_model(WhereAuthor)


def where(value: Any) -> dict[str, Any]:
    raw = value if isinstance(value, str) else json.dumps(value)
    return parse_where(author_spec(), raw)


def refusal(call: Any, *args: Any) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        call(*args)
    assert info.value.status == 400
    return info.value


# --- accepted -------------------------------------------------------------------------

ACCEPTED: list[tuple[str, Any, dict[str, Any]]] = [
    # the original plugin's cases
    ("equality", {"bananaCount": 2}, {"bananaCount": 2}),
    ("gt", {"appleCount": {"$gt": 10}}, {"appleCount": {"$gt": 10}}),
    ("and of gt/lt", {"$and": [{"appleCount": {"$gt": 1}}, {"bananaCount": {"$lt": 5}}]},
     {"$and": [{"appleCount": {"$gt": 1}}, {"bananaCount": {"$lt": 5}}]}),
    ("regex ^A", {"lastName": {"$regex": "^A"}}, {"lastName": {"$regex": "^A"}}),
    ("regex ^a", {"lastName": {"$regex": "^a"}}, {"lastName": {"$regex": "^a"}}),
    ("regex ^a i", {"lastName": {"$regex": "^a", "$options": "i"}},
     {"lastName": {"$regex": "^a", "$options": "i"}}),
    # every other operator
    ("eq ne gte lte", {"appleCount": {"$eq": 1, "$ne": 2, "$gte": 0, "$lte": 9}},
     {"appleCount": {"$eq": 1, "$ne": 2, "$gte": 0, "$lte": 9}}),
    ("in nin", {"bananaCount": {"$in": [1, 2], "$nin": [3]}},
     {"bananaCount": {"$in": [1, 2], "$nin": [3]}}),
    ("exists", {"created": {"$exists": False}}, {"created": {"$exists": False}}),
    ("or nor", {"$or": [{"bananaCount": 1}], "$nor": [{"appleCount": 2}]},
     {"$or": [{"bananaCount": 1}], "$nor": [{"appleCount": 2}]}),
    ("not object", {"appleCount": {"$not": {"$gt": 3}}}, {"appleCount": {"$not": {"$gt": 3}}}),
    ("not pattern", {"lastName": {"$not": "^x"}}, {"lastName": {"$not": {"$regex": "^x"}}}),
    ("options msx", {"lastName": {"$regex": "a # comment [", "$options": "msx"}},
     {"lastName": {"$regex": "a # comment [", "$options": "msx"}}),
    ("empty", {}, {}),
    ("float to int", {"appleCount": 2.0}, {"appleCount": 2}),
    ("null", {"created": None}, {"created": None}),
    ("int64 edge", {"appleCount": 2**63 - 1}, {"appleCount": 2**63 - 1}),
    # coercion
    ("_id", {"_id": HEX}, {"_id": ObjectId(HEX)}),
    ("_id in", {"_id": {"$in": [HEX]}}, {"_id": {"$in": [ObjectId(HEX)]}}),
    ("link id", {"publisher": HEX}, {"publisher": DBRef("where_publishers", ObjectId(HEX))}),
    ("link doc", {"publisher": {"_id": HEX}},
     {"publisher": DBRef("where_publishers", ObjectId(HEX))}),
    ("date", {"created": {"$gt": "2020-01-01"}},
     {"created": {"$gt": datetime.datetime(2020, 1, 1)}}),
    ("embedded leaf", {"bio.born": {"$lt": 1970}}, {"bio.born": {"$lt": 1970}}),
    ("embedded exists", {"bio": {"$exists": True}}, {"bio": {"$exists": True}}),
    ("dict path", {"meta.colour.shade": "red"}, {"meta.colour.shade": "red"}),
    ("dict object", {"meta": {"a": [1, {"b": None}]}}, {"meta": {"a": [1, {"b": None}]}}),
    ("list element", {"tags": "x"}, {"tags": "x"}),
    ("list exact", {"tags": ["x", "y"]}, {"tags": ["x", "y"]}),
    ("brackets in strings", {"lastName": BRACKETS}, {"lastName": BRACKETS}),
    ("lookalike inside dict", {"meta.\uff04where": 1}, {"meta.\uff04where": 1}),
]


@pytest.mark.parametrize(("value", "expected"), [c[1:] for c in ACCEPTED],
                         ids=[c[0] for c in ACCEPTED])
def test_where_accepted(value: Any, expected: dict[str, Any]) -> None:
    assert where(value) == expected


# --- refused --------------------------------------------------------------------------

def nest(levels: int) -> dict[str, Any]:
    """A filter whose objects and arrays nest exactly `levels` deep."""
    inner: dict[str, Any] = {"appleCount": 1} if levels % 2 else {"appleCount": {"$gt": 1}}
    while max_depth(inner) < levels:
        inner = {"$and": [inner]}
    return inner


def max_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((max_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((max_depth(v) for v in value), default=0)
    return 0


REFUSED: list[tuple[str, Any, str]] = [
    # disallowed operators, at every position
    ("$where", {"$where": "sleep(1000)"}, "'$where'"),
    ("$function", {"appleCount": {"$function": {"body": "x"}}}, "'$function'"),
    ("$expr", {"$expr": {"$gt": ["$a", "$b"]}}, "'$expr'"),
    ("$lookup", {"$lookup": {"from": "users"}}, "'$lookup'"),
    ("$accumulator", {"appleCount": {"$accumulator": {}}}, "'$accumulator'"),
    ("$text", {"$text": {"$search": "x"}}, "'$text'"),
    ("$elemMatch", {"tags": {"$elemMatch": {"$eq": "x"}}}, "'$elemMatch'"),
    ("in array", {"$or": [{"$where": "1"}]}, "'$where'"),
    ("deep in array", {"$and": [{"$or": [{"appleCount": {"$function": 1}}]}]}, "'$function'"),
    ("nested in not", {"appleCount": {"$not": {"$where": "1"}}}, "'$where'"),
    ("in $in element", {"appleCount": {"$in": [{"$where": "1"}]}}, "'$where'"),
    ("in $eq value", {"meta": {"$eq": {"$where": "1"}}}, "'$where'"),
    ("inside dict value", {"meta": {"a": {"$where": "1"}}}, "'$where'"),
    ("inside dict array", {"meta": [{"$where": "1"}]}, "'$where'"),
    ("mixed keys", {"appleCount": {"$gt": 1, "x": 2}}, "mixed"),
    # misplaced allowed operators
    ("$gt at top", {"$gt": 1}, "$gt must be applied to a field"),
    ("$and in condition", {"appleCount": {"$and": [{"appleCount": 1}]}}, "$and belongs"),
    ("$and not list", {"$and": {"appleCount": 1}}, "$and takes"),
    ("$or empty", {"$or": []}, "$or takes"),
    ("$nor of scalars", {"$nor": [1]}, "$nor takes"),
    ("$in not list", {"appleCount": {"$in": 1}}, "$in and $nin take"),
    ("$exists not bool", {"appleCount": {"$exists": 1}}, "$exists takes"),
    ("$not number", {"appleCount": {"$not": 1}}, "$not takes"),
    ("$not empty", {"appleCount": {"$not": {}}}, "$not takes"),
    ("$options alone", {"lastName": {"$options": "i"}}, "$options needs $regex"),
    # field names
    ("unknown field", {"nope": 1}, "unknown field 'nope'"),
    ("hidden field", {"secret": "x"}, "unknown field 'secret'"),
    ("hidden in $or", {"$or": [{"secret": {"$exists": True}}]}, "unknown field 'secret'"),
    ("fullwidth $", {"\uff04where": "1"}, "unknown field"),
    ("small dollar", {"\ufe69where": "1"}, "unknown field"),
    ("dollar behind dot", {"bio.$where": 1}, "cannot contain '$'"),
    ("link $id", {"publisher.$id": HEX}, "cannot contain '$'"),
    ("dict $ path", {"meta.$where": 1}, "cannot contain '$'"),
    ("dollar inside name", {"apple$Count": 1}, "cannot contain '$'"),
    ("empty segment", {"meta..x": 1}, "unknown field"),
    ("empty name", {"": 1}, "unknown field"),
    ("unknown embedded", {"bio.nope": 1}, "unknown field 'bio.nope'"),
    ("path into scalar", {"appleCount.x": 1}, "unknown field"),
    ("id alias", {"id": HEX}, "unknown field 'id'"),
    ("nul in key", '{"meta.a\\u0000b": 1}', "NUL"),
    ("surrogate key", '{"meta.\\ud800": 1}', "surrogate"),
    ("surrogate value", '{"lastName": "\\udfff"}', "surrogate"),
    # values
    ("object on embedded", {"bio": {"born": 1}}, "dot paths"),
    ("object on scalar", {"appleCount": {"a": 1}}, "object"),
    ("array on scalar", {"appleCount": [1, 2]}, "through $in"),
    ("nested arrays", {"tags": [["x"]]}, "nested arrays"),
    ("bad int", {"appleCount": "many"}, "appleCount"),
    ("bool for int", {"appleCount": True}, "boolean"),
    ("fraction for int", {"appleCount": 1.5}, "appleCount"),
    ("float beyond int64", {"appleCount": 1e19}, "appleCount"),
    ("bad id", {"_id": "xyz"}, "ObjectId"),
    ("bad link id", {"publisher": "xyz"}, "WherePublisher"),
    ("bad date", {"created": {"$gt": "yesterday-ish"}}, "created"),
    ("bad in element", {"_id": {"$in": [HEX, "nope"]}}, "ObjectId"),
    ("NaN", '{"appleCount": NaN}', "NaN"),
    ("Infinity", '{"appleCount": {"$gt": Infinity}}', "Infinity"),
    ("-Infinity", '{"appleCount": -Infinity}', "-Infinity"),
    ("float overflow", '{"appleCount": 1e400}', "out of range"),
    ("huge int", {"appleCount": 2**63}, "64-bit"),
    ("huge negative int", {"appleCount": -(2**63) - 1}, "64-bit"),
    ("thousands of digits", '{"appleCount": ' + "9" * 5000 + "}", "64-bit"),
    # regex
    ("regex not string", {"lastName": {"$regex": 1}}, "$regex takes"),
    ("regex invalid", {"lastName": {"$regex": "(unclosed"}}, "invalid pattern"),
    ("regex invalid with x", {"lastName": {"$regex": "[", "$options": "x"}}, "invalid pattern"),
    ("regex huge repeat", {"lastName": {"$regex": "a{99999999999}"}}, "invalid pattern"),
    ("regex nul", {"lastName": {"$regex": "a\u0000"}}, "NUL"),
    ("not bad pattern", {"lastName": {"$not": "("}}, "invalid pattern"),
    ("options bad letter", {"lastName": {"$regex": "a", "$options": "g"}}, "$options takes"),
    ("options not string", {"lastName": {"$regex": "a", "$options": 1}}, "$options takes"),
    ("options u", {"lastName": {"$regex": "a", "$options": "iu"}}, "$options takes"),
    # JSON shape
    ("invalid JSON", "{appleCount: 1}", "invalid JSON"),
    ("truncated", '{"appleCount": ', "invalid JSON"),
    ("array", [{"appleCount": 1}], "JSON object"),
    ("string", '"appleCount"', "JSON object"),
    ("number", "1", "JSON object"),
    ("null", "null", "JSON object"),
    ("empty string", "", "invalid JSON"),
    ("duplicate key", '{"appleCount": 1, "appleCount": {"$where": "1"}}', "duplicate"),
    # limits
    ("depth 11", nest(MAX_DEPTH + 1), f"limit of {MAX_DEPTH} levels"),
    ("depth bomb", "[" * 10_000, f"limit of {MAX_DEPTH} levels"),
    ("operators", {"$and": [{"appleCount": {"$gt": i}} for i in range(MAX_OPERATORS)]},
     f"limit of {MAX_OPERATORS} operators"),
    ("$in values", {"appleCount": {"$in": list(range(MAX_VALUES + 1))}},
     f"limit of {MAX_VALUES} values"),
    ("$nin values", {"appleCount": {"$nin": list(range(MAX_VALUES + 1))}},
     f"limit of {MAX_VALUES} values"),
    ("array values", {"tags": ["x"] * (MAX_VALUES + 1)}, f"limit of {MAX_VALUES} values"),
    ("dict array values", {"meta": [0] * (MAX_VALUES + 1)}, f"limit of {MAX_VALUES} values"),
    ("pattern length", {"lastName": {"$regex": "a" * (MAX_PATTERN + 1)}},
     f"longer than {MAX_PATTERN}"),
    ("size", {"lastName": "a" * MAX_WHERE_BYTES}, f"limit of {MAX_WHERE_BYTES} bytes"),
    ("size in bytes", {"lastName": "\u00e9" * (MAX_WHERE_BYTES // 2)},
     f"limit of {MAX_WHERE_BYTES} bytes"),
]


@pytest.mark.parametrize(("value", "fragment"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_where_refused(value: Any, fragment: str) -> None:
    raw = value if isinstance(value, str) else json.dumps(value)
    error = refusal(parse_where, author_spec(), raw)
    assert error.detail.startswith("where: ")
    assert error.errors == [{"field": "where", "message": error.detail.removeprefix("where: ")}]
    assert fragment in error.detail


def test_nest_builds_the_depth_it_names() -> None:
    for levels in (MAX_DEPTH, MAX_DEPTH + 1):
        assert max_depth(nest(levels)) == levels
    assert where(nest(MAX_DEPTH))


def test_mixed_keys_message_names_the_field() -> None:
    error = refusal(where, {"appleCount": {"$gt": 1, "x": 2}})
    assert "'x'" in error.detail


def test_limits_are_inclusive() -> None:
    assert where({"appleCount": {"$in": list(range(MAX_VALUES))}})
    assert where({"lastName": {"$regex": "a" * MAX_PATTERN}})
    assert where({"$and": [{"appleCount": {"$gt": i}} for i in range(MAX_OPERATORS - 1)]})
    padding = MAX_WHERE_BYTES - len(json.dumps({"lastName": ""}))
    assert where({"lastName": "a" * padding})


# --- match and search -----------------------------------------------------------------

@pytest.mark.parametrize(("values", "expected"), [
    (["lastName=(?i)puy"], [{"lastName": {"$regex": "puy", "$options": "i"}}]),
    (["lastName=^Puy"], [{"lastName": {"$regex": "^Puy"}}]),
    (["lastName=a=b"], [{"lastName": {"$regex": "a=b"}}]),
    (["lastName=^A", "firstName=(?i)k"],
     [{"lastName": {"$regex": "^A"}}, {"firstName": {"$regex": "k", "$options": "i"}}]),
    (["bio.city=Par"], [{"bio.city": {"$regex": "Par"}}]),
    (["meta.note=x"], [{"meta.note": {"$regex": "x"}}]),
    (["lastName="], [{"lastName": {"$regex": ""}}]),
    ([], []),
])
def test_match_accepted(values: list[str], expected: list[dict[str, Any]]) -> None:
    assert parse_match(author_spec(), values) == expected


@pytest.mark.parametrize(("value", "fragment"), [
    ("lastName", "expected field=pattern"),
    ("nope=x", "unknown field 'nope'"),
    ("secret=x", "unknown field 'secret'"),
    ("=x", "unknown field ''"),
    ("meta.$where=x", "cannot contain '$'"),
    ("lastName=(", "invalid pattern"),
    ("lastName=(?i)(", "invalid pattern"),
    ("lastName=" + "a" * (MAX_PATTERN + 1), f"longer than {MAX_PATTERN}"),
    ("lastName=a\x00", "NUL"),
])
def test_match_refused(value: str, fragment: str) -> None:
    error = refusal(parse_match, author_spec(), ["lastName=ok", value])
    assert error.errors[0]["field"] == "match"
    assert error.detail.startswith("match: ")
    assert fragment in error.detail


def test_search_clause() -> None:
    assert search_clause("vonnegut") == {"$text": {"$search": "vonnegut"}}
    assert search_clause("a" * MAX_SEARCH) == {"$text": {"$search": "a" * MAX_SEARCH}}
    for raw, fragment in [("", "empty"), ("   ", "empty"), ("a" * (MAX_SEARCH + 1), "longer")]:
        error = refusal(search_clause, raw)
        assert error.errors[0]["field"] == "search"
        assert fragment in error.detail


def search_error(exc: BaseException) -> ProblemError | None:
    """What the database module answers for a failed text search; None when it re-raises."""
    try:
        return db_problem(exc, ("search",))
    except BaseException:
        return None


@pytest.mark.parametrize(("exc", "fragment"), [
    (NotImplementedError("$text"), "cannot run a text search"),
    (OperationFailure("text index required for $text query", code=27), "no text index"),
    (OperationFailure("need exactly one text index for $text query", code=2), "no text index"),
])
def test_search_error_recognised(exc: BaseException, fragment: str) -> None:
    error = search_error(exc)
    assert error is not None
    assert error.status == 400
    assert error.errors[0]["field"] == "search"
    assert fragment in error.detail


@pytest.mark.parametrize("exc", [
    OperationFailure("operation exceeded time limit", code=50),
    ValueError("text index"),
    RuntimeError(),
])
def test_search_error_ignores_others(exc: BaseException) -> None:
    assert search_error(exc) is None


# --- on the test database ----------------------------------------------------------------------

async def test_filters_run_on_the_database(database: Any) -> None:
    """The sanitized filters select the right documents (mongomock, or MONGODB_URL)."""
    await init_beanie(database=database, document_models=MODELS)
    publisher = WherePublisher(name="p")
    await publisher.insert()
    rows = [("Ann", "Puyol", 2, 5), ("bob", "apple", 3, 12), ("Cid", "Puy", 2, 20)]
    for first, last, bananas, apples in rows:
        await WhereAuthor(firstName=first, lastName=last, bananaCount=bananas,
                          appleCount=apples, publisher=publisher,
                          created=datetime.datetime(2021, 1, 1)).insert()
    spec = inspect_model(WhereAuthor)

    async def names(raw: str) -> list[str]:
        found = await WhereAuthor.find(parse_where(spec, raw)).to_list()
        return sorted(a.firstName for a in found)

    assert await names('{"bananaCount": 2}') == ["Ann", "Cid"]
    assert await names('{"appleCount": {"$gt": 10}}') == ["Cid", "bob"]
    assert await names('{"$and": [{"appleCount": {"$gt": 10}}, {"appleCount": {"$lt": 15}}]}') \
        == ["bob"]
    assert await names('{"firstName": {"$regex": "^A"}}') == ["Ann"]
    assert await names('{"firstName": {"$regex": "^a"}}') == []
    assert await names('{"firstName": {"$regex": "^a", "$options": "i"}}') == ["Ann"]
    assert await names('{"firstName": {"$not": "^A"}}') == ["Cid", "bob"]
    assert await names(f'{{"publisher": "{publisher.id}"}}') == ["Ann", "Cid", "bob"]
    assert await names('{"created": {"$gte": "2021-01-01"}}') == ["Ann", "Cid", "bob"]
    clause = parse_match(spec, ["lastName=(?i)puy"])[0]
    assert sorted(a.firstName for a in await WhereAuthor.find(clause).to_list()) == ["Ann", "Cid"]


# --- documentation ----------------------------------------------------------------------

DOC = ROOT / "docs" / "query-language.md"


def doc_table(header: str) -> list[list[str]]:
    """The rows (cells stripped) of the table in the query-language page under `header`."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    at = lines.index(header)
    rows = []
    for line in lines[at + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def documented_operators() -> list[str]:
    return [row[0].strip("`") for row in doc_table("| operator | takes | meaning |")]


def documented_limits() -> dict[str, int]:
    documented = {}
    for name, value in doc_table("| limit | value |"):
        number = re.match(r"[0-9]+", value)
        assert number is not None, f"no number for {name!r}: {value!r}"
        documented[name] = int(number[0])
    return documented


def test_operator_table_is_the_code_table() -> None:
    documented = documented_operators()
    assert len(documented) == len(set(documented))
    assert set(documented) == set(OPERATORS)


def test_limit_table_is_the_code_table() -> None:
    assert documented_limits() == dict(LIMITS)


def test_the_doc_comparison_sees_any_change_in_code() -> None:
    operators = set(documented_operators())
    assert operators != set(OPERATORS) | {"$where"}
    assert all(operators != set(OPERATORS) - {op} for op in OPERATORS)
    limits = documented_limits()
    assert all(limits != {**LIMITS, name: value + 1} for name, value in LIMITS.items())
    assert all(limits != {k: v for k, v in LIMITS.items() if k != name} for name in LIMITS)


def test_readme_links_the_reference() -> None:
    assert "(docs/query-language.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
