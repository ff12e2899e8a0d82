"""Property-based tests: whatever JSON a client sends as `where`, the sanitizer either returns
a filter made only of allowed operators on known fields, or refuses it with a 400."""

from __future__ import annotations

import json
from typing import Any

import bson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoapi.errors import ProblemError
from autoapi.introspect import ModelSpec
from autoapi.where import OPERATORS, parse_match, parse_where
from tests.test_where import HEX, author_spec

ALLOWED = sorted(OPERATORS)
DISALLOWED = ["$where", "$function", "$expr", "$lookup", "$accumulator", "$text", "$elemMatch",
              "$jsonSchema", "$mod", "$size", "$all", "$type", "$comment", "$", "$$ROOT"]
FIELDS = ["bananaCount", "appleCount", "firstName", "lastName", "created", "publisher", "bio",
          "bio.born", "bio.city", "meta", "meta.a", "meta.a.b", "tags", "_id", "secret",
          "bio.secret", "nope", "id"]
SNEAKY = ["\uff04where", "\ufe69gt", "\u0024\u200bwhere", "bio.$where", "meta.$gt", "publisher.$id",
          "a$b", "meta..a", "", ".", "meta.\x00", "meta.\ud800", "$and.x", "\x00$where",
          "Bananacount", "bananaCount ", "meta.\uff04where"]
KEYS = st.one_of(st.sampled_from(ALLOWED + DISALLOWED + FIELDS + SNEAKY), st.text(max_size=12))

TAME = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-1000, max_value=1000),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from([HEX, "2020-01-01", "2020-01-01T10:00:00Z", "^a", "a.*b", "imsx", "i", "x"]),
)
WILD = st.one_of(
    st.integers(),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**400, 1e19, 1e300]),
    st.floats(),  # NaN and infinities included
    st.sampled_from(["(", "ig", "x" * 600, "\ud800", "a\x00", "1", "true", "[", "a{99999999999}"]),
    st.text(max_size=20),
)
SCALARS = st.one_of(TAME, TAME, WILD)


def json_values(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(KEYS, inner, max_size=4),
        ),
        max_leaves=30,
    )


JSON_VALUES = json_values(SCALARS)
OBJECTS = st.dictionaries(KEYS, JSON_VALUES, max_size=4)

# Filter-shaped documents, so a fair share of the examples get past the first refusal.
CONDITIONS = st.one_of(
    TAME,
    st.dictionaries(st.sampled_from(ALLOWED + DISALLOWED[:3]), json_values(TAME),
                    min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(ALLOWED), SCALARS, min_size=1, max_size=2),
)
FILTERS = st.recursive(
    st.dictionaries(st.sampled_from(FIELDS + SNEAKY[:6]), CONDITIONS, max_size=3),
    lambda inner: st.dictionaries(st.sampled_from(["$and", "$or", "$nor", "$not", "$where"]),
                                  st.lists(inner, min_size=1, max_size=3), min_size=1, max_size=2),
    max_leaves=10,
)


def encode(value: Any) -> str:
    try:
        return json.dumps(value)  # NaN and Infinity become the bare JSON-ish tokens
    except (ValueError, OverflowError):  # pragma: no cover - json.dumps takes all of these
        return "null"


def check_filter(spec: ModelSpec, out: dict[str, Any]) -> None:
    for key, value in out.items():
        if key.startswith("$"):
            assert key in ("$and", "$or", "$nor")
            assert isinstance(value, list) and value
            for item in value:
                check_filter(spec, item)
        else:
            assert "$" not in key
            assert spec.resolve(key) is not None
            check_condition(value)


def check_condition(value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            assert "$" not in key or key in OPERATORS, key
            assert key not in ("$and", "$or", "$nor")
            check_condition(inner)
    elif isinstance(value, list):
        for inner in value:
            check_condition(inner)


def assert_sanitized_or_refused(raw: str) -> dict[str, Any] | None:
    spec = author_spec()
    try:
        out = parse_where(spec, raw)
    except ProblemError as exc:
        assert exc.status == 400
        assert exc.errors[0]["field"] == "where"
        return None
    check_filter(spec, out)
    bson.encode(out)  # MongoDB could store it: no huge ints, NUL keys or lone surrogates
    return out


FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.one_of(OBJECTS, JSON_VALUES))
def test_arbitrary_json(value: Any) -> None:
    assert_sanitized_or_refused(encode(value))


@FUZZ
@given(FILTERS)
def test_filter_shaped_json(value: dict[str, Any]) -> None:
    assert_sanitized_or_refused(encode(value))


@FUZZ
@given(st.text(alphabet=st.sampled_from('{}[]":,$ 0123456789.-eEntrufalsNIy\\'), max_size=60))
def test_arbitrary_text(raw: str) -> None:
    assert_sanitized_or_refused(raw)


@FUZZ
@given(st.lists(st.text(max_size=30), max_size=3))
def test_match_sanitizes_or_refuses(values: list[str]) -> None:
    spec = author_spec()
    try:
        clauses = parse_match(spec, values)
    except ProblemError as exc:
        assert exc.status == 400
        assert exc.errors[0]["field"] == "match"
        return
    assert len(clauses) == len(values)
    for clause in clauses:
        ((name, condition),) = clause.items()
        assert "$" not in name and spec.resolve(name) is not None
        assert set(condition) <= {"$regex", "$options"}


def test_filter_strategy_reaches_the_database_shape() -> None:
    """Guard the strategy itself: some filter-shaped examples must be accepted."""
    accepted = []

    @settings(max_examples=200, deadline=None, database=None)
    @given(FILTERS)
    def collect(value: dict[str, Any]) -> None:
        if assert_sanitized_or_refused(encode(value)):
            accepted.append(value)

    collect()
    assert accepted


@pytest.mark.parametrize("raw", [
    '{"$or": [{"appleCount": {"$gt": 1}}, {"tags": {"$in": ["a", "b"]}}]}',
    '{"meta.a": {"$not": {"$regex": "x", "$options": "i"}}}',
])
def test_known_good_passes_the_checker(raw: str) -> None:
    assert assert_sanitized_or_refused(raw)
