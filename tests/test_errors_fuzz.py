"""Property test: whatever a client sends, the answer is never a 5xx, an error is a small
problem+json body with a known `code`, and no internal text reaches the client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoapi.errors import CODES
from tests.conftest import MakeClient
from tests.test_errors import EVERY_ROUTE, INTERNAL, MAX_BODY

EXAMPLES = 400  # about 3 s on the default lane; each example is one request to each app
RAN: list[int] = []

IDS = st.one_of(
    st.just(str(ObjectId())),
    st.sampled_from(["xyz", "0" * 25, "a" * 10_000, "%00", "%FF", "..", "$where", "1_0"]),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=0, max_size=30),
)
PATHS = st.one_of(
    st.sampled_from(["/api/books", "/api/authors", "/api/publishers", "/api/nope"]),
    st.builds(lambda i, tail: f"/api/books/{i}{tail}", IDS,
              st.sampled_from(["", "/author", "/coauthor", "/x"])),
    st.builds(lambda i, tail: f"/api/authors/{i}{tail}", IDS,
              st.sampled_from(["", "/books", "/books_as_coauthor", "/publisher"])),
)
PARAMS = ["limit", "offset", "sort", "fields", "filter", "where", "populate", "populate[]",
          "search", "other"]
VALUES = st.one_of(
    st.sampled_from([
        "1_0", "0", "-1", "NaN", "1e400", "9" * 30, " 3", "abc", "biography,biography.born",
        "-title,title", "title,-pages", "$where", "meta..x", "meta.$gt", "a\x00b", "author.$id",
        '{"a": 1, "a": 2}', '{"title": {"$where": "1"}}', '{"pages": {"$gt": 1e400}}',
        '{"pages": NaN}', "[" * 2000, '{"title": "x"}', "author", "author.publisher.x",
        "isGood", "pages=abc", "author=xyz", "created=2020-13-01", "x" * 20_000,
    ]),
    st.text(max_size=12),
)
# httpx (like any HTTP server's request line) refuses a query string over 64 KiB
QUERIES = st.lists(st.tuples(st.sampled_from(PARAMS), VALUES), max_size=4).filter(
    lambda pairs: sum(len(value) for _, value in pairs) < 60_000
)

KEYS = st.one_of(
    st.sampled_from(["title", "pages", "price", "isGood", "tags", "author", "coauthor", "meta",
                     "meta.a", "meta.$where", "meta..x", "meta.", "biography.born", "_id",
                     "revision_id", "secret", "firstName", "lastName", "a\x00b", "", "$set"]),
    st.text(max_size=8),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, str(ObjectId()), "1969-07-06", "x" * 5000]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=12,
)
RAW_BODIES = st.sampled_from([
    b'{"title": "a", "title": "b"}', b'{"title": "\xff"}', b"title=%FF%FE", b"{", b"[]", b"null",
    b'{"price": 1e400}', b'{"pages": ' + b"7" * 5000 + b"}", b'{"meta": ' + b"[" * 5000 + b"}",
    b'{"title": NaN}', b"\x00\x01", b"title=t&pages=abc&title=u", b"meta.%24where=1",
])
BODIES = st.one_of(
    st.builds(lambda d: json.dumps(d).encode(), st.dictionaries(KEYS, JSON_VALUES, max_size=4)),
    RAW_BODIES,
    st.just(b""),
)
TYPES = st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                         "text/plain", "application/merge-patch+json", ""])
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])


@pytest.fixture
async def apps(make_client: MakeClient) -> AsyncIterator[list[httpx.AsyncClient]]:
    yield [await make_client(), await make_client(schemas=EVERY_ROUTE)]


def assert_clean(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:2000]
    assert len(response.content) < MAX_BODY
    assert not INTERNAL.search(response.text), response.text[:2000]
    if response.status_code >= 400 and response.request.method != "HEAD":
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] in CODES


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(method=METHODS, path=PATHS, query=QUERIES, body=BODIES, media=TYPES)
async def test_no_request_gets_a_5xx_or_internal_text(
    apps: list[httpx.AsyncClient], method: str, path: str, query: list[tuple[str, str]],
    body: bytes, media: str,
) -> None:
    RAN.append(1)
    headers = {"content-type": media} if media else {}
    for client in apps:
        sent = await client.request(method, path, params=query, content=body, headers=headers)
        assert_clean(sent)


def test_zz_the_property_test_ran_its_examples() -> None:
    if RAN:  # run alone (-k), the property test is not collected before this one
        print(f"property test examples: {len(RAN)}")
        assert len(RAN) >= EXAMPLES
