"""`<mount>/openapi.json` (OpenAPI 3.1) and `<mount>/docs`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from beanie import init_beanie
from fastapi import FastAPI
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as assert_valid_openapi
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
    assert_valid_openapi(doc)  # raises on any fault, unresolvable $ref included
    return doc


async def test_the_document_validates_and_names_the_mount(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "/api"}]


async def test_every_generated_route_is_described(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    paths = doc["paths"]
    assert set(paths["/authors"]) == {"get", "post"}  # OPTIONS and HEAD: in info, not listed
    assert set(paths["/authors/{id}"]) == {"get", "put", "patch", "delete"}
    for ref in ("publisher", "inspired", "books", "books_as_coauthor"):
        assert set(paths[f"/authors/{{id}}/{ref}"]) == {"get"}
    ops = {op["operationId"]: op for item in paths.values() for op in item.values()}
    assert len(ops) == sum(len(item) for item in paths.values())
    assert {"list_books", "get_book", "create_book", "update_book", "patch_book",
            "delete_book", "get_book_author", "list_author_books_as_coauthor"} <= set(ops)
    for op in ops.values():
        assert op["tags"] and op["summary"] and op["description"], op["operationId"]
    assert "OPTIONS" in doc["info"]["description"] and "HEAD" in doc["info"]["description"]


async def test_methods_limit_the_document(make_client: MakeClient) -> None:
    doc = await document(await make_client(methods=["list", "get"]))
    assert set(doc["paths"]["/authors"]) == {"get"}
    assert set(doc["paths"]["/authors/{id}"]) == {"get"}
    assert set(doc["paths"]["/authors/{id}/books"]) == {"get"}


def parameters(doc: dict[str, Any], path: str, method: str) -> dict[str, dict[str, Any]]:
    """The operation's parameters by name, `$ref`s resolved; each name must appear once."""
    out: dict[str, dict[str, Any]] = {}
    for param in doc["paths"][path][method]["parameters"]:
        if "$ref" in param:
            param = doc["components"]["parameters"][param["$ref"].rsplit("/", 1)[-1]]
        assert param["name"] not in out, param["name"]
        out[param["name"]] = param
    return out


def enum_of(doc: dict[str, Any], param: dict[str, Any]) -> list[str]:
    name = param["schema"]["items"]["$ref"].rsplit("/", 1)[-1]
    values: list[str] = doc["components"]["schemas"][name]["enum"]
    return values


async def test_list_options_are_parameters(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    for path in ("/books", "/authors/{id}/books"):
        params = parameters(doc, path, "get")
        assert {"offset", "limit", "sort", "filter", "where", "match", "search", "fields",
                "populate", "cursor", "count"} <= set(params)
        assert "populate[]" not in params and "populate[]" in params["populate"]["description"]
        assert params["limit"]["schema"]["maximum"] == 1000
        assert {"title", "-title", "_id", "-created"} <= set(enum_of(doc, params["sort"]))
        assert {"isbn", "-isbn"} <= set(enum_of(doc, params["fields"]))
        assert {"author", "author.publisher"} <= set(enum_of(doc, params["populate"]))
        assert params["filter"]["schema"]["type"] == "array" and params["filter"]["explode"]
        count = params["count"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert doc["components"]["schemas"][count]["enum"] == ["exact", "estimated", "none"]
        where = params["where"]
        assert where["schema"]["contentMediaType"] == "application/json"
        assert isinstance(json.loads(where["example"]), dict)
    assert "secret" not in enum_of(doc, parameters(doc, "/authors", "get")["sort"])  # hidden


async def test_shared_parameters_live_in_components(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    listed = doc["paths"]["/books"]["get"]["parameters"]
    assert all(set(p) == {"$ref"} for p in listed)
    assert {"offset", "limit", "where", "If-Match", "If-None-Match", "Book.sort",
            "Book.id"} <= set(doc["components"]["parameters"])
    assert "If-None-Match" in parameters(doc, "/books/{id}", "get")
    for method in ("put", "patch", "delete"):
        assert "If-Match" in parameters(doc, "/books/{id}", method)
    # a model without links has no populate parameter
    assert "populate" not in parameters(doc, "/publishers", "get")


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
    for status in ("400", "413", "415", "422", "default"):
        content = post["responses"][status]["content"]
        assert content["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"}
    assert "Problem" in doc["components"]["schemas"]
    conflict = post["responses"]["409"]["content"]["application/problem+json"]["schema"]
    assert conflict == {"$ref": "#/components/schemas/BatchConflict"}
    assert doc["components"]["schemas"]["BatchConflict"]["allOf"][0] == {
        "$ref": "#/components/schemas/Problem"}


async def test_entries_shape_the_document(make_client: MakeClient) -> None:
    entry = {"name": "authors", "ref": AUTHOR_REF,
             "routePost": {"summary": "Add an author", "body": {"$ref": "authors#"}},
             "routeGet": {"response": {"200": {"$ref": "authors#"}}}}
    doc = await document(await make_client(schemas=[entry]))
    post = doc["paths"]["/authors"]["post"]
    assert post["summary"] == "Add an author"
    body = post["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert body[0] == {"$ref": "#/components/schemas/authors"}
    # array items are checked by the model alone
    assert body[1]["items"] == {"$ref": "#/components/schemas/AuthorCreate"}
    got = doc["paths"]["/authors/{id}"]["get"]["responses"]["200"]
    # a narrowing response is the model and the entry together
    assert got["content"]["application/json"]["schema"] == {"allOf": [
        {"$ref": "#/components/schemas/Author"}, {"$ref": "#/components/schemas/authors"}]}
    assert "$id" not in doc["components"]["schemas"]["authors"]
    # parts the entry did not give are the model's components, as on routes without entries
    assert doc["paths"]["/authors"]["get"] == (await document(await make_client()))[
        "paths"]["/authors"]["get"]


async def test_a_ref_with_siblings_is_wrapped_in_all_of(make_client: MakeClient) -> None:
    entry = {"name": "authors", "ref": AUTHOR_REF, "routePatch": {"body": {
        "$ref": "authors#", "required": ["firstName"], "description": "a new first name"}}}
    doc = await document(await make_client(schemas=[entry]))
    body = doc["paths"]["/authors/{id}"]["patch"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"allOf": [
        {"$ref": "#/components/schemas/authors"},
        {"required": ["firstName"], "description": "a new first name"}]}

    def refs_alone(node: Any) -> bool:
        if isinstance(node, dict):
            if "$ref" in node and len(node) > 1:
                return False
            return all(refs_alone(v) for k, v in node.items() if k not in ("example", "enum"))
        return all(refs_alone(v) for v in node) if isinstance(node, list) else True

    assert refs_alone(doc)


async def test_one_component_per_model_and_role(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    schemas = doc["components"]["schemas"]
    book = {"$ref": "#/components/schemas/Book"}
    paths = doc["paths"]

    def answer(path: str, method: str, status: str = "200") -> Any:
        return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]

    page = {"$ref": "#/components/schemas/BookPage"}
    assert answer("/books", "get") == page == answer("/authors/{id}/books", "get")
    assert answer("/authors/{id}/books_as_coauthor", "get") == page
    assert answer("/books/{id}", "get") == book == answer("/books", "post", "200")
    assert answer("/books", "post", "201") == {
        "anyOf": [book, {"$ref": "#/components/schemas/BookItems"}]}
    assert schemas["BookItems"]["properties"]["items"]["items"] == book
    assert answer("/books/{id}", "patch") == book
    assert answer("/authors/{id}/inspired", "get")["properties"]["items"]["items"] == book
    assert schemas["BookPage"]["properties"]["items"]["items"] == book
    assert schemas["Book"]["required"] == ["_id"]
    assert schemas["Book"]["properties"]["author"]["anyOf"][:2] == [
        {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}, {"$ref": "#/components/schemas/Author"}]
    assert schemas["BookCreate"]["required"] == ["title"]
    assert "required" not in schemas["BookUpdate"]
    page_props = schemas["BookPage"]["properties"]
    assert page_props["total"]["type"] == ["integer", "null"]
    assert page_props["next"]["type"] == page_props["prev"]["type"] == ["string", "null"]
    assert {"total_truncated", "total_estimated"} <= set(page_props)


async def test_write_bodies_carry_no_defaults(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    schemas = doc["components"]["schemas"]

    def defaults(node: Any) -> list[Any]:
        if isinstance(node, dict):
            here = [node["default"]] if "default" in node else []
            return here + [d for k, v in node.items() if k != "default" for d in defaults(v)]
        return [d for v in node for d in defaults(v)] if isinstance(node, list) else []

    update = schemas["AuthorUpdate"]
    embedded = update["properties"]["biography"]["$ref"].rsplit("/", 1)[-1]
    for name in ("AuthorUpdate", embedded, "BookUpdate", "BookCreate", "Book", "Author"):
        assert defaults(schemas[name]) == [], name
    assert "required" not in schemas[embedded]  # `{"biography": {"born": 1}}` keeps the rest


async def test_bodies_headers_and_answers(make_client: MakeClient) -> None:
    doc = await document(await make_client())
    item = doc["paths"]["/books/{id}"]
    post = doc["paths"]["/books"]["post"]
    assert post["requestBody"]["required"] is True
    assert list(post["requestBody"]["content"]) == ["application/json"]
    assert "Location" in post["responses"]["201"]["headers"]  # not required: arrays lack it
    assert "ETag" in post["responses"]["201"]["headers"]
    assert "Link" in doc["paths"]["/books"]["get"]["responses"]["200"]["headers"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert "content" not in item["get"]["responses"]["304"]
    for method in ("put", "patch", "delete"):
        assert {"412", "503"} <= set(item[method]["responses"])
        assert "428" not in item[method]["responses"]  # only with require_if_match
    for item in doc["paths"].values():
        for op in item.values():
            assert "Retry-After" in op["responses"]["503"]["headers"]
            assert "401" not in op["responses"]  # only with `security`


async def test_title_version_and_security(make_client: MakeClient) -> None:
    from autoapi import __version__

    plain = await document(await make_client())
    assert plain["info"]["title"] == "autoapi" and plain["info"]["version"] == __version__
    assert "security" not in plain
    schemes = {"bearer": {"type": "http", "scheme": "bearer"}}
    doc = await document(await make_client(title="Library", version="2.1", security=schemes))
    assert doc["info"] == {**doc["info"], "title": "Library", "version": "2.1"}
    assert doc["components"]["securitySchemes"] == schemes
    assert doc["security"] == [{"bearer": []}]
    assert {"401", "403"} <= set(doc["paths"]["/books"]["get"]["responses"])


def test_api_openapi_returns_the_document() -> None:
    api = AutoAPI(models=ALL_MODELS, title="Library")
    doc = api.openapi("/v1")
    assert_valid_openapi(doc)
    assert doc["servers"] == [{"url": "/v1"}] and doc["info"]["title"] == "Library"


async def test_fastapi_mount_and_root_path(database: Any) -> None:
    await init_beanie(database=database, document_models=ALL_MODELS)
    app = FastAPI()
    app.mount("/v1", AutoAPI(models=ALL_MODELS))
    transport = httpx.ASGITransport(app=app, root_path="/proxy")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        doc = (await client.get("/proxy/v1/openapi.json")).json()  # ASGI: path has root_path
    assert_valid_openapi(doc)
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

    def assert_conforms(schema: dict[str, Any], value: Any) -> None:
        wrapped = {"$id": "urn:check", "allOf": [_absolute(schema)]}
        Draft202012Validator(wrapped, registry=registry,
                             format_checker=FormatChecker()).validate(value)

    return assert_conforms


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
    assert_conforms = checker(doc)
    pub = (await client.post("/api/publishers", json={"name": "P"})).json()
    author = (await client.post("/api/authors", json={
        "firstName": "A", "lastName": "B", "birthday": "1969-07-06", "publisher": pub["_id"],
        "biography": {"born": 1969}})).json()
    book = await client.post("/api/books?populate=author", json={"title": "T",
                                                                 "author": author["_id"]})
    responses = doc["paths"]["/books"]["post"]["responses"]
    assert_conforms(responses["201"]["content"]["application/json"]["schema"], book.json())
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
        assert_conforms(described["content"][media]["schema"], response.json())


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
    assert_valid_openapi(openapi_document(AutoAPI(models=MODELS, schema_dir=folder), "/api"))


def test_the_document_is_yours_to_change() -> None:
    from autoapi.openapi import openapi_document

    api = AutoAPI(models=ALL_MODELS)
    first = openapi_document(api, "/api")
    first["info"]["title"] = "Library"
    first["paths"].clear()
    again = openapi_document(api)
    assert again["info"]["title"] == "autoapi" and again["paths"]
    assert again["servers"] == [{"url": "/"}]
