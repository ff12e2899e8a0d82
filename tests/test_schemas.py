"""JSON Schema entries: the original plugin's scenarios over HTTP, and broken entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from autoapi import AutoAPI
from autoapi.modelschema import route_defaults
from autoapi.schemas import SchemaError
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS

AUTHOR_REF: dict[str, Any] = {
    "$id": "authors",
    "type": "object",
    "properties": {
        "firstName": {"type": "string"},
        "lastName": {"type": "string"},
        "birthday": {"type": "string", "format": "date"},
    },
    "required": ["firstName", "lastName"],
}
ROUTES = ("routeGet", "routeList", "routePost", "routePut", "routePatch", "routeDelete")
EVERY_ROUTE: dict[str, Any] = {"name": "authors", "ref": AUTHOR_REF, **{k: {} for k in ROUTES}}
BODY_REF: dict[str, Any] = {"name": "authors", "ref": AUTHOR_REF,
                            "routePost": {"body": {"$ref": "authors#"}}}
JAY = {"firstName": "Jay", "lastName": "Kay"}


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- the original plugin's scenarios ---------------------------------------------------


async def test_ref_alone_validates_nothing_but_the_model(make_client: MakeClient) -> None:
    client = await make_client(schemas=[{"name": "authors", "ref": AUTHOR_REF}])
    # pydantic still applies: the model requires lastName and parses dates
    assert_problem(await client.post("/api/authors", json={"firstName": "Jay"}), 422, "lastName")
    ok = await client.post("/api/authors", json={**JAY, "birthday": "1969-07-06"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["birthday"] == "1969-07-06"


async def test_body_ref_names_the_missing_field(make_client: MakeClient) -> None:
    client = await make_client(schemas=[BODY_REF])
    body = assert_problem(await client.post("/api/authors", json={"firstName": "Jay"}), 422)
    assert body["errors"] == [
        {"field": "lastName", "message": "is required", "code": "invalid_value"}
    ]
    assert (await client.get("/api/authors")).json()["total"] == 0


async def test_body_ref_checks_the_date_format(make_client: MakeClient) -> None:
    client = await make_client(schemas=[BODY_REF])
    bad = await client.post("/api/authors", json={**JAY, "birthday": "1969-30-06"})
    body = assert_problem(bad, 422)
    assert [e["field"] for e in body["errors"]] == ["birthday"]
    ok = await client.post("/api/authors", json={**JAY, "birthday": "1969-07-06"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["birthday"] == "1969-07-06"
    again = await client.get(f"/api/authors/{ok.json()['_id']}")
    assert again.json()["birthday"] == "1969-07-06"


async def test_every_route_key_empty_gets_the_defaults(make_client: MakeClient) -> None:
    client = await make_client(schemas=[EVERY_ROUTE])
    assert_problem(await client.post("/api/authors", json={"firstName": "Jay"}), 422, "lastName")
    created = await client.post("/api/authors", json={**JAY, "birthday": "1969-07-06"})
    assert created.status_code == 201, created.text
    url = f"/api/authors/{created.json()['_id']}"
    assert (await client.get(url)).json() == created.json()
    listed = await client.get("/api/authors?limit=5&sort=-created")
    assert listed.json() == {"total": 1, "items": [created.json()], "next": None, "prev": None}
    assert (await client.put(url, json={"lastName": "Lee"})).json()["lastName"] == "Lee"
    patched = await client.patch(url, json={"biography.born": 1961})
    assert patched.json()["biography"]["born"] == 1961
    deleted = await client.delete(url)
    assert deleted.status_code == 200
    assert deleted.json() == {"success": True}


async def test_defaults_check_types_and_query_parameters(make_client: MakeClient) -> None:
    client = await make_client(schemas=[EVERY_ROUTE])
    created = (await client.post("/api/authors", json=JAY)).json()
    url = f"/api/authors/{created['_id']}"
    assert_problem(await client.patch(url, json={"firstName": 5}), 422, "firstName")
    assert_problem(await client.get("/api/authors?limit=lots"), 400, "limit")
    assert_problem(await client.get("/api/authors?offset=-1"), 400, "offset")
    assert_problem(await client.get("/api/authors/not-an-id"), 404)


async def test_populated_links_survive_the_default_response(make_client: MakeClient) -> None:
    client = await make_client(schemas=[{"name": "books", "routeGet": {}}])
    author = (await client.post("/api/authors", json=JAY)).json()
    book = (await client.post("/api/books", json={"title": "T", "author": author["_id"]})).json()
    got = await client.get(f"/api/books/{book['_id']}?populate=author")
    assert got.json()["author"] == author


# -- schema_dir ------------------------------------------------------------------------


async def test_files_in_nested_folders(make_client: MakeClient, tmp_path: Path) -> None:
    write(tmp_path / "a" / "b" / "authors.json", BODY_REF)
    write(tmp_path / "c" / "more.json", [{"name": "Books", "routePost": {
        "body": {"required": ["title", "isbn"]}}}])
    client = await make_client(schema_dir=tmp_path)
    assert_problem(await client.post("/api/authors", json={"firstName": "J"}), 422, "lastName")
    assert_problem(await client.post("/api/books", json={"title": "T"}), 422, "isbn")


async def test_an_explicit_entry_beats_a_file(make_client: MakeClient, tmp_path: Path) -> None:
    write(tmp_path / "authors.json", {"name": "authors", "routePost": {
        "body": {"required": ["firstName", "lastName", "birthday"]}}})
    client = await make_client(schema_dir=tmp_path, schemas=[BODY_REF])
    assert (await client.post("/api/authors", json=JAY)).status_code == 201


async def test_names_match_collections_case_insensitively(make_client: MakeClient) -> None:
    client = await make_client(schemas=[{**BODY_REF, "name": "AUTHORS"}])
    assert_problem(await client.post("/api/authors", json={"firstName": "J"}), 422, "lastName")


# -- query strings, params and bodies --------------------------------------------------


async def test_a_querystring_entry_replaces_the_defaults(make_client: MakeClient) -> None:
    entry = {"name": "authors", "routeList": {"querystring": {
        "properties": {"limit": {"type": "integer", "maximum": 5},
                       "tag": {"type": "string", "minLength": 2}},
        "required": ["tag"]}}}
    client = await make_client(schemas=[entry])
    assert_problem(await client.get("/api/authors?tag=ok&limit=10"), 400, "limit")
    assert_problem(await client.get("/api/authors?limit=2"), 400, "tag")
    assert_problem(await client.get("/api/authors?tag=x"), 400, "tag")
    assert (await client.get("/api/authors?tag=ok&limit=5")).status_code == 200


async def test_params_schema_refuses_with_404(make_client: MakeClient) -> None:
    entry = {"name": "things", "routeGet": {"params": {"properties": {"id": {"pattern": "^t-"}}}}}
    client = await make_client(schemas=[entry])
    assert (await client.post("/api/things", json={"_id": "t-1"})).status_code == 201
    assert (await client.get("/api/things/t-1")).status_code == 200
    assert (await client.post("/api/things", json={"_id": "x-1"})).status_code == 201
    assert_problem(await client.get("/api/things/x-1"), 404, "id")


async def test_form_bodies_are_checked_with_typed_values(make_client: MakeClient) -> None:
    entry = {"name": "books", "routePost": {"body": {"properties": {
        "pages": {"type": "integer", "maximum": 900}}}}}
    client = await make_client(schemas=[entry])
    assert_problem(await client.post("/api/books", data={"title": "T", "pages": "1000"}), 422,
                   "pages")
    ok = await client.post("/api/books", data={"title": "T", "pages": "12", "isGood": "true"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["pages"] == 12


async def test_a_body_entry_replaces_the_derived_body(make_client: MakeClient) -> None:
    # merged with the derived body, `biography` would be declared and allowed
    body = {"properties": {"firstName": {}, "lastName": {}}, "additionalProperties": False}
    client = await make_client(schemas=[{"name": "authors", "routePost": {"body": body}}])
    sent = {**JAY, "biography": {"born": 1961}}
    problem = assert_problem(await client.post("/api/authors", json=sent), 422)
    assert problem["errors"] == [
        {"field": "biography", "message": "is not allowed", "code": "invalid_value"}
    ]


async def test_additional_properties_false_names_the_stranger(make_client: MakeClient) -> None:
    entry = {"name": "authors", "routePost": {"body": {"additionalProperties": False}}}
    client = await make_client(schemas=[entry])
    body = assert_problem(await client.post("/api/authors", json={**JAY, "nick": "J"}), 422)
    assert body["code"] == "unknown_field"
    assert body["errors"] == [
        {"field": "nick", "message": "unknown field", "code": "unknown_field"}
    ]


async def test_bad_json_is_still_a_400(make_client: MakeClient) -> None:
    client = await make_client(schemas=[EVERY_ROUTE])
    bad = await client.post("/api/authors", content=b"{nope",
                            headers={"content-type": "application/json"})
    assert_problem(bad, 400)


# -- responses -------------------------------------------------------------------------


async def test_a_response_schema_is_a_whitelist(make_client: MakeClient) -> None:
    entry = {"name": "authors", "routeGet": {"response": {"200": {
        "type": "object", "properties": {"firstName": {"type": "string"}}}}}}
    client = await make_client(schemas=[entry])
    created = (await client.post("/api/authors", json=JAY)).json()
    assert (await client.get(f"/api/authors/{created['_id']}")).json() == {"firstName": "Jay"}
    head = await client.head(f"/api/authors/{created['_id']}")
    assert head.status_code == 200 and head.content == b""


async def test_whitelist_reaches_list_items_and_refs(make_client: MakeClient) -> None:
    entry = {"name": "authors", "ref": {**AUTHOR_REF, "$id": "authorsModel"},
             "routeList": {"response": {"200": {"properties": {
                 "total": {"type": "integer"}, "items": {"items": {"$ref": "authorsModel#"}}}}}},
             "routePost": {"response": {"200": {"$ref": "authorsModel#"}}}}
    client = await make_client(schemas=[entry])
    created = await client.post("/api/authors", json={**JAY, "biography": {"born": 1}})
    assert created.status_code == 201  # a `200` written for the original applies to the 201
    shown = {**JAY, "birthday": None}  # what authorsModel declares, nothing else
    assert created.json() == shown
    listed = (await client.get("/api/authors")).json()
    assert listed == {"total": 1, "items": [shown]}


async def test_format_date_renders_a_date_time_as_a_date(make_client: MakeClient) -> None:
    entry = {"name": "books", "routeGet": {"response": {"200": {"properties": {
        "created": {"type": "string", "format": "date"}}}}}}
    client = await make_client(schemas=[entry])
    book = (await client.post("/api/books", json={"title": "T",
                                                  "created": "2019-07-10T17:30:23Z"})).json()
    assert book["created"] == "2019-07-10T17:30:23.000Z"
    assert (await client.get(f"/api/books/{book['_id']}")).json() == {"created": "2019-07-10"}


async def test_delete_with_a_default_schema_still_succeeds(make_client: MakeClient) -> None:
    client = await make_client(schemas=[{"name": "authors", "routeDelete": {}}])
    created = (await client.post("/api/authors", json=JAY)).json()
    deleted = await client.delete(f"/api/authors/{created['_id']}")
    assert deleted.json() == {"success": True}


# -- broken entries fail at construction -----------------------------------------------


def broken(tmp_path: Path, data: Any, raw: bytes | None = None) -> SchemaError:
    path = tmp_path / "deep" / "authors.json"
    if raw is None:
        write(path, data)
    else:
        path.parent.mkdir(parents=True)
        path.write_bytes(raw)
    with pytest.raises(SchemaError) as info:
        AutoAPI(models=ALL_MODELS, schema_dir=tmp_path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)
    return info.value


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"name": "authors", "routePost": {"body": {"type": 12}}}, "invalid schema"),
        ({"name": "authors", "routePost": {"body": {"$ref": "nowhere#"}}}, "unknown $ref"),
        ({"name": "authors", "routePost": {"body": {"$ref": "#/$defs/Nope"}}}, "unknown $ref"),
        ({"name": "authors", "routePots": {}}, "unknown key"),
        ({"name": "authors", "routePost": {"bdy": {}}}, "unknown key"),
        ({"name": "authors", "routePost": []}, "must be an object"),
        ({"name": "authors", "routeGet": {"response": {"OK": {}}}}, "not an HTTP status"),
        ({"name": "writers"}, "matches no model"),
        ({"routeGet": {}}, "needs a \"name\""),
        ({"name": "authors", "ref": {"type": "object"}}, "$id"),
        ({"name": "authors", "ref": {"$id": "a", "$ref": "b#"}}, "unknown $ref"),
        ([{"name": "authors"}, {"name": "Authors"}], "second entry"),
        ("authors", "must be a JSON object"),
    ],
)
def test_broken_entries_name_the_file_and_reason(tmp_path: Path, data: Any, reason: str) -> None:
    assert reason in broken(tmp_path, data).reason


def test_invalid_json_and_unreadable_files(tmp_path: Path) -> None:
    assert "invalid JSON" in broken(tmp_path, None, b"{nope").reason


def test_undecodable_file(tmp_path: Path) -> None:
    assert "cannot read" in broken(tmp_path, None, b'{"name": "\xff"}').reason


def test_explicit_entries_are_named_by_index() -> None:
    with pytest.raises(SchemaError, match=r"schemas\[1\].*unknown \$ref"):
        AutoAPI(models=ALL_MODELS, schemas=[
            {"name": "books"}, {"name": "authors", "routeGet": {"response": {"200": {
                "$ref": "missing#"}}}}])


def test_a_missing_schema_dir_fails(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="not a directory"):
        AutoAPI(models=ALL_MODELS, schema_dir=tmp_path / "nope")


def test_duplicate_ids_across_entries(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="also defined"):
        AutoAPI(models=ALL_MODELS, schemas=[
            {"name": "authors", "ref": AUTHOR_REF}, {"name": "books", "ref": [AUTHOR_REF]}])


def test_a_file_overridden_by_an_explicit_entry_is_still_checked(tmp_path: Path) -> None:
    write(tmp_path / "authors.json", {"name": "authors", "routeGet": {"body": {"type": 1}}})
    with pytest.raises(SchemaError):
        AutoAPI(models=ALL_MODELS, schema_dir=tmp_path, schemas=[{"name": "authors"}])


async def test_a_status_range_key_applies(make_client: MakeClient) -> None:
    entry = {"name": "authors", "routeGet": {"response": {"2xx": {
        "properties": {"lastName": {"type": "string"}}}}}}
    client = await make_client(schemas=[entry])
    created = (await client.post("/api/authors", json=JAY)).json()
    assert (await client.get(f"/api/authors/{created['_id']}")).json() == {"lastName": "Kay"}


@pytest.mark.parametrize("key", ROUTES)
def test_the_defaults_are_valid_schemas(key: str) -> None:
    # build_schema_set checks only what entries write, trusting the defaults: keep them valid.
    api = AutoAPI(models=ALL_MODELS, expose_model_name=True)
    for resource in api.resources.values():
        parts = route_defaults(key, resource.spec, api.specs, api.schema_options)
        for name, schema in [*parts.items(), *parts.get("response", {}).items()]:
            if name != "response":
                Draft202012Validator.check_schema(schema)


async def test_a_body_nested_deeper_than_mongodb_stores_is_a_422(make_client: MakeClient) -> None:
    entry = {"name": "authors", "ref": {"$id": "tree", "type": "array", "items": {"$ref": "tree#"}},
             "routePost": {"body": {"properties": {"meta": {"properties": {
                 "t": {"$ref": "tree#"}}}}}}}
    client = await make_client(schemas=[entry])
    deep = "[" * 400 + "]" * 400
    body = '{"firstName": "a", "lastName": "b", "meta": {"t": ' + deep + "}}"
    sent = await client.post("/api/authors", content=body,
                             headers={"content-type": "application/json"})
    problem = assert_problem(sent, 422, "meta")
    assert problem["errors"][0]["code"] == "limit_exceeded"
