"""`<mount>/openapi.json` (OpenAPI 3.1) and `<mount>/docs` (SPEC §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from beanie import init_beanie
from fastapi import FastAPI
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.responses import Response

from autoapi import AutoAPI
from autoapi.docs import swagger_ui_dir
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS

AUTHOR_REF = {"$id": "authors", "type": "object", "required": ["firstName", "lastName"],
              "properties": {"firstName": {"type": "string"}, "lastName": {"type": "string"},
                             "birthday": {"type": "string", "format": "date"}}}


async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    validate(doc)  # raises on any fault, unresolvable $ref included
    return doc


async def test_the_document_validates_and_names_the_mount(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "/api"}]


async def test_every_generated_route_is_described(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    paths = doc["paths"]
    assert set(paths["/authors"]) == {"get", "post", "options"}
    assert set(paths["/authors/{id}"]) == {"get", "put", "patch", "delete", "options"}
    for ref in ("publisher", "inspired", "books", "books_as_coauthor"):
        assert set(paths[f"/authors/{{id}}/{ref}"]) == {"get", "options"}
    assert paths["/authors"]["post"]["responses"]["201"]["headers"]["Location"]
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(ids) == len(set(ids))


async def test_methods_limit_the_document(make_client: MakeClient) -> None:
    doc = await document(await make_client(methods=["list", "get"]))
    assert set(doc["paths"]["/authors"]) == {"get"}
    assert set(doc["paths"]["/authors/{id}"]) == {"get"}
    assert set(doc["paths"]["/authors/{id}/books"]) == {"get"}


async def test_list_options_are_parameters(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    params = {p["name"]: p for p in doc["paths"]["/books"]["get"]["parameters"]}
    assert {"offset", "limit", "sort", "filter", "where", "match", "search", "fields",
            "populate", "populate[]"} <= set(params)
    assert params["limit"]["schema"]["maximum"] == 1000
    assert "title" in params["sort"]["description"]
    assert "author.publisher" in params["populate"]["description"]
    assert params["filter"]["schema"]["type"] == "array" and params["filter"]["explode"]


async def test_one_component_per_model_as_rendered(make_client: MakeClient) -> None:
    doc = await document(await make_client(expose_model_name=True))
    schemas = doc["components"]["schemas"]
    author = schemas["Author"]["properties"]
    assert author["_id"]["type"] == "string"
    assert "secret" not in author  # Field(exclude=True)
    assert author["publisher"]["anyOf"][1] == {"$ref": "#/components/schemas/Publisher"}
    assert author["biography"] == {"$ref": "#/components/schemas/Biography"}
    assert author["__modelName"]["const"] == "Author"
    assert "revision_id" in schemas["Versioned"]["properties"]
    assert "revision_id" not in schemas["Book"]["properties"]
    assert schemas["Thing"]["properties"]["_id"] == {"type": "string"}


async def test_errors_are_problem_json(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    post = doc["paths"]["/authors"]["post"]
    for status in ("400", "409", "413", "415", "422", "default"):
        content = post["responses"][status]["content"]
        assert content["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"}
    assert "Problem" in doc["components"]["schemas"]


async def test_entries_shape_the_document(make_client: MakeClient) -> None:
    entry = {"name": "authors", "ref": AUTHOR_REF,
             "routePost": {"summary": "Add an author", "body": {"$ref": "authors#"}},
             "routeGet": {"response": {"200": {"$ref": "authors#"}}}}
    doc = await document(await make_client(schemas=[entry]))
    post = doc["paths"]["/authors"]["post"]
    assert post["summary"] == "Add an author"
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"] == "#/components/schemas/authors"
    got = doc["paths"]["/authors/{id}"]["get"]["responses"]["200"]
    assert got["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/authors"}
    assert "$id" not in doc["components"]["schemas"]["authors"]


async def test_fastapi_mount_and_root_path(database: Any) -> None:
    await init_beanie(database=database, document_models=ALL_MODELS)
    app = FastAPI()
    app.mount("/v1", AutoAPI(models=ALL_MODELS))
    transport = httpx.ASGITransport(app=app, root_path="/proxy")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        doc = (await client.get("/proxy/v1/openapi.json")).json()  # ASGI: path has root_path
    validate(doc)
    assert doc["servers"] == [{"url": "/proxy/v1"}]


async def test_check_auth_does_not_guard_the_description(make_client: MakeClient) -> None:
    client = await make_client(check_auth=lambda request: Response(status_code=401))
    assert (await client.get("/api/authors")).status_code == 401
    assert (await client.get("/api/openapi.json")).status_code == 200
    assert (await client.get("/api/docs")).status_code == 200


async def test_other_methods_get_a_problem_405(make_client: MakeClient) -> None:
    client = await make_client()
    body = assert_problem(await client.post("/api/openapi.json"), 405)
    assert "POST" in body["detail"]
    assert (await client.head("/api/openapi.json")).status_code == 200


# -- responses match the document ------------------------------------------------------


def checker(doc: dict[str, Any]) -> Any:
    registry = Registry().with_resource(
        "urn:doc", Resource.from_contents(doc, default_specification=DRAFT202012))

    def check(schema: dict[str, Any], value: Any) -> None:
        wrapped = {"$id": "urn:check", "allOf": [_absolute(schema)]}
        Draft202012Validator(wrapped, registry=registry,
                             format_checker=FormatChecker()).validate(value)

    return check


def _absolute(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: ("urn:doc" + v if k == "$ref" and isinstance(v, str) and v.startswith("#")
                    else _absolute(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_absolute(v) for v in node]
    return node


async def test_answers_match_the_documented_schemas(make_client: MakeClient) -> None:
    client = await make_client(expose_model_name=True)
    doc = await document(client)
    check = checker(doc)
    pub = (await client.post("/api/publishers", json={"name": "P"})).json()
    author = (await client.post("/api/authors", json={
        "firstName": "A", "lastName": "B", "birthday": "1969-07-06", "publisher": pub["_id"],
        "biography": {"born": 1969}})).json()
    book = await client.post("/api/books?populate=author", json={"title": "T",
                                                                 "author": author["_id"]})
    responses = doc["paths"]["/books"]["post"]["responses"]
    check(responses["201"]["content"]["application/json"]["schema"], book.json())
    urls = {
        "/authors": "/api/authors?populate=publisher&fields=firstName,publisher",
        "/authors/{id}": f"/api/authors/{author['_id']}?populate=inspired",
        "/authors/{id}/publisher": f"/api/authors/{author['_id']}/publisher",
        "/authors/{id}/books": f"/api/authors/{author['_id']}/books?populate=author.publisher",
        "/books/{id}/coauthor": f"/api/books/{book.json()['_id']}/coauthor",
        "/publishers/{id}": "/api/publishers/" + "0" * 24,
    }
    for path, url in urls.items():
        response = await client.get(url)
        described = doc["paths"][path]["get"]["responses"][str(response.status_code)]
        media = response.headers["content-type"].split(";")[0]
        check(described["content"][media]["schema"], response.json())


# -- /docs -----------------------------------------------------------------------------


@pytest.mark.skipif(swagger_ui_dir() is None, reason="swagger-ui-py is not installed")
async def test_docs_page_uses_local_assets_only(make_client: MakeClient) -> None:
    client = await make_client()
    page = await client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text
    assert 'data-url="/api/openapi.json"' in page.text
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                  "init.js"):
        assert f'"/api/docs/assets/{asset}"' in page.text
        got = await client.get(f"/api/docs/assets/{asset}")
        assert got.status_code == 200 and got.content, asset
    init = (await client.get("/api/docs/assets/init.js")).text
    assert "validatorUrl: null" in init  # no call to validator.swagger.io
    assert_problem(await client.get("/api/docs/assets/..%2Fdocs.py"), 404)
    assert_problem(await client.get("/api/docs/assets/oauth2-redirect.html"), 404)


async def test_status_ranges_and_docs_keys(make_client: MakeClient) -> None:
    entry = {"name": "books", "routeList": {"tags": ["library"], "description": "All books",
                                            "response": {"2xx": {"type": "object"}}}}
    doc = await document(await make_client(schemas=[entry]))
    listed = doc["paths"]["/books"]["get"]
    assert listed["tags"] == ["library"] and listed["description"] == "All books"
    assert "2XX" in listed["responses"]


def test_the_sample_apps_schema_folder_builds_a_valid_document() -> None:
    from sample_app.models import MODELS

    from autoapi.openapi import openapi_document

    folder = Path(__file__).parent.parent / "schemas"
    validate(openapi_document(AutoAPI(models=MODELS, schema_dir=folder), "/api"))


def test_the_document_is_yours_to_change() -> None:
    from autoapi.openapi import openapi_document

    api = AutoAPI(models=ALL_MODELS)
    first = openapi_document(api, "/api")
    first["info"]["title"] = "Library"
    first["paths"].clear()
    again = openapi_document(api)
    assert again["info"]["title"] == "autoapi" and again["paths"]
    assert again["servers"] == [{"url": "/"}]
