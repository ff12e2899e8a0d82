"""Clients generated from the document work: openapi-python-client and openapi-typescript.

The tools are installed by `.ci/generators` (openapi-python-client into the virtualenv,
openapi-typescript and TypeScript 5 under `.cache/generators`); without them these tests
skip, so the default run stays fast. `.ci/generators` fails if they skip.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from beanie import init_beanie
from bson import DBRef, ObjectId
from sample_app.app import build_api
from sample_app.models import MODELS, Author, Book, Publisher
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI
from autoapi.routes import METHODS, OPT_IN_METHODS

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("AUTOAPI_GENERATORS", ROOT / ".cache" / "generators"))
PYTHON_GENERATOR = shutil.which("openapi-python-client")
TS_BIN = CACHE / "node_modules" / ".bin"
needs_python = pytest.mark.skipif(
    PYTHON_GENERATOR is None, reason="openapi-python-client is not installed (run .ci/generators)"
)
needs_ts = pytest.mark.skipif(
    not (TS_BIN / "openapi-typescript").exists() or not (TS_BIN / "tsc").exists(),
    reason=f"openapi-typescript and tsc are not under {CACHE} (run .ci/generators)",
)


def plain_api() -> AutoAPI:
    return AutoAPI(models=MODELS)


def full_api(**options: Any) -> AutoAPI:
    """Every route, bulk PATCH and DELETE included."""
    return AutoAPI(models=MODELS, methods=[*METHODS, *OPT_IN_METHODS], **options)


APIS = {
    "sample": build_api,
    "plain": plain_api,
    "full": lambda: full_api(require_if_match=True),
}


def generate_python(doc: dict[str, Any], folder: Path, package: str) -> tuple[Path, str]:
    """Generate a client package; returns its folder and everything the tool printed."""
    spec = folder / f"{package}.json"
    spec.write_text(json.dumps(doc))
    assert PYTHON_GENERATOR is not None
    done = subprocess.run(
        [PYTHON_GENERATOR, "generate", "--path", str(spec), "--meta", "none",
         "--output-path", str(folder / package)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / package, done.stdout + done.stderr


def doc_blocks(language: str) -> list[str]:
    """The fenced code blocks of docs/openapi.md in one language."""
    text = (ROOT / "docs" / "openapi.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def operation_ids(doc: dict[str, Any]) -> set[str]:
    return {op["operationId"] for item in doc["paths"].values() for op in item.values()}


@needs_python
@pytest.mark.parametrize("which", sorted(APIS))
def test_every_operation_is_generated_without_warnings(tmp_path: Path, which: str) -> None:
    doc = APIS[which]().openapi("/api")
    folder, output = generate_python(doc, tmp_path, f"{which}_client")
    assert "warning" not in output.lower(), output
    generated = {p.stem for p in (folder / "api").rglob("*.py") if p.stem != "__init__"}
    assert generated == operation_ids(doc)


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    if PYTHON_GENERATOR is None:
        pytest.skip("openapi-python-client is not installed (run .ci/generators)")
    folder = tmp_path_factory.mktemp("generated")
    generate_python(full_api().openapi(), folder, "library_client")
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("library_client")
    finally:
        sys.path.remove(str(folder))


def module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


@needs_python
async def test_the_generated_client_drives_the_api(
    database: Any, client_package: ModuleType
) -> None:
    await init_beanie(database=database, document_models=MODELS)
    app = Starlette(routes=[Mount("/api", app=plain_api())])
    transport = httpx.ASGITransport(app=app)
    client = module(client_package, "client").Client(base_url="http://test/api")
    client.set_async_httpx_client(httpx.AsyncClient(transport=transport, base_url="http://test/api"))
    models = module(client_package, "models")
    books = "api.books."

    pub = await module(client_package, "api.publishers.create_publisher").asyncio(
        client=client, body=models.PublisherCreate(name="Pan")
    )
    author = await module(client_package, "api.authors.create_author").asyncio(
        client=client, body=models.AuthorCreate(first_name="Ada", last_name="King")
    )
    assert isinstance(author, models.Author) and author.first_name == "Ada"
    created = await module(client_package, books + "create_book").asyncio_detailed(
        client=client,
        body=models.BookCreate(title="Notes", isbn="9780000000002", author=author.field_id,
                               publisher=pub.field_id),
    )  # fmt: skip
    assert created.status_code == 201 and created.headers["location"].endswith(
        created.parsed.field_id
    )
    book = created.parsed

    # a failing create is a typed problem
    failed = await module(client_package, books + "create_book").asyncio_detailed(
        client=client, body=models.BookCreate(title="")
    )
    assert failed.status_code == 422 and isinstance(failed.parsed, models.Problem)
    assert "title" in {e.field for e in failed.parsed.errors}

    # list with populate, where, fields and sort
    page = await module(client_package, books + "list_books").asyncio(
        client=client,
        populate=[models.BookLinkPath("author")],
        where=json.dumps({"title": {"$regex": "^No"}}),
        fields=[models.BookFieldKey("title"), models.BookFieldKey("author")],
        sort=[models.BookSortKey("-title"), models.BookSortKey("created")],
    )
    assert isinstance(page, models.BookPage) and page.total == 1
    listed = page.items[0]
    assert isinstance(listed.author, models.Author) and listed.author.first_name == "Ada"
    assert isinstance(listed.isbn, module(client_package, "types").Unset)  # not in `fields`

    got = await module(client_package, books + "get_book").asyncio(book.field_id, client=client)
    assert got.title == "Notes" and got.author == author.field_id

    # PATCH one field: every other stored field stays as it was
    before = await database["books"].find_one({"_id": ObjectId(book.field_id)})
    patched = await module(client_package, books + "patch_book").asyncio(
        book.field_id, client=client, body=models.BookUpdate(title="Notes II")
    )
    assert patched.title == "Notes II"
    after = await database["books"].find_one({"_id": ObjectId(book.field_id)})
    assert after == {**before, "title": "Notes II"}

    # clearing a link sends null as JSON
    cleared = await module(client_package, books + "update_book").asyncio(
        book.field_id, client=client, body=models.BookUpdate(publisher=None)
    )
    assert cleared.publisher is None
    stored = await database["books"].find_one({"_id": ObjectId(book.field_id)})
    assert stored["publisher"] is None and stored["author"] == DBRef("authors", author_oid(author))

    # a reverse route answers pages of the same Book
    reverse = await module(client_package, "api.authors.list_author_books").asyncio(
        author.field_id, client=client
    )
    assert isinstance(reverse, models.BookPage)
    assert [b.field_id for b in reverse.items] == [book.field_id]

    deleted = await module(client_package, books + "delete_book").asyncio(
        book.field_id, client=client
    )
    assert deleted.success is True
    assert await database["books"].count_documents({}) == 0
    assert await Book.count() == 0 and await Author.count() == 1 and await Publisher.count() == 1


@needs_python
def test_the_docs_python_example_names_what_is_generated(client_package: ModuleType) -> None:
    (example,) = [b for b in doc_blocks("python") if "library_client" in b and "Client(" in b]
    compile(example, "docs/openapi.md", "exec")
    imports = re.findall(r"^from (library_client\S*) import (.+)$", example, flags=re.MULTILINE)
    assert imports
    for module_name, names in imports:
        found = importlib.import_module(module_name)
        for name in (n.strip() for n in names.split(",")):
            # a module of a package is an attribute only once imported
            submodule = importlib.util.find_spec(f"{module_name}.{name}") if hasattr(
                found, "__path__") else None
            assert hasattr(found, name) or submodule is not None, (module_name, name)


async def connected(database: Any, api: AutoAPI, package: ModuleType) -> Any:
    """A generated `Client` that sends its requests to `api`, in process."""
    await init_beanie(database=database, document_models=MODELS)
    app = Starlette(routes=[Mount("/api", app=api)])
    client = module(package, "client").Client(base_url="http://test/api")
    transport = httpx.ASGITransport(app=app)
    client.set_async_httpx_client(httpx.AsyncClient(transport=transport, base_url="http://test/api"))
    return client


@needs_python
async def test_the_generated_client_walks_cursors_and_writes_in_bulk(
    database: Any, client_package: ModuleType
) -> None:
    client = await connected(database, full_api(max_batch=10), client_package)
    models = module(client_package, "models")
    books = "api.books."
    create = module(client_package, books + "create_book")
    made = await create.asyncio(
        client=client, body=[models.BookCreate(title=f"B{i}") for i in range(5)]
    )
    assert isinstance(made, models.BookItems) and len(made.items) == 5

    # `next` until null: every book once, in order
    listing, cursor, seen = module(client_package, books + "list_books"), None, []
    unset = module(client_package, "types").UNSET
    while True:
        page = await listing.asyncio(
            client=client, limit=2, sort=[models.BookSortKey("title")], cursor=cursor or unset
        )
        assert isinstance(page, models.BookPage)
        seen += [book.title for book in page.items]
        cursor = page.next_
        if cursor is None:
            break
    assert seen == [f"B{i}" for i in range(5)]

    # CoU: 201 when created, 200 when it existed
    ident = "0" * 23 + "9"
    upsert = [
        await create.asyncio_detailed(
            client=client, body=models.BookCreate(field_id=ident, title=title),
            x_http_method=models.UpsertMode.COU,
        )
        for title in ("C1", "C2")
    ]  # fmt: skip
    assert [r.status_code for r in upsert] == [201, 200]
    assert upsert[1].parsed.title == "C2"

    patched = await module(client_package, books + "patch_many_books").asyncio(
        client=client, match=["title=^B"], body=models.BookUpdate(isbn="9780000000002")
    )
    assert isinstance(patched, models.PatchedMany) and patched.matched == 5
    deleted = await module(client_package, books + "delete_many_books").asyncio(
        client=client, filter_=["isbn=9780000000002"]
    )
    assert isinstance(deleted, models.DeletedMany) and deleted.deleted == 5
    assert await Book.count() == 1


@needs_python
async def test_the_generated_client_patches_with_if_match(
    database: Any, client_package: ModuleType
) -> None:
    client = await connected(database, full_api(require_if_match=True), client_package)
    models = module(client_package, "models")
    books = "api.books."
    created = await module(client_package, books + "create_book").asyncio_detailed(
        client=client, body=models.BookCreate(title="Notes")
    )
    ident, tag = created.parsed.field_id, created.headers["etag"]
    patch = module(client_package, books + "patch_book")
    unconditional = await patch.asyncio_detailed(
        ident, client=client, body=models.BookUpdate(title="X")
    )
    assert unconditional.status_code == 428 and isinstance(unconditional.parsed, models.Problem)
    done = await patch.asyncio_detailed(
        ident, client=client, body=models.BookUpdate(title="Notes II"), if_match=tag
    )
    assert done.status_code == 200 and done.parsed.title == "Notes II"
    assert done.headers["etag"] != tag
    stale = await patch.asyncio_detailed(
        ident, client=client, body=models.BookUpdate(title="Notes III"), if_match=tag
    )
    assert stale.status_code == 412 and isinstance(stale.parsed, models.Problem)
    fresh = await module(client_package, books + "get_book").asyncio(ident, client=client)
    assert fresh.title == "Notes II"  # the stale write changed nothing


def author_oid(author: Any) -> ObjectId:
    return ObjectId(author.field_id)


@needs_ts
def test_a_typescript_program_type_checks(tmp_path: Path) -> None:
    doc = tmp_path / "library.json"
    doc.write_text(json.dumps(full_api().openapi("/api")))
    work = tmp_path / "ts"
    shutil.copytree(ROOT / "tests" / "ts", work)
    (work / "docs_example.ts").write_text("\n".join(doc_blocks("ts")))
    generate = subprocess.run(
        [str(TS_BIN / "openapi-typescript"), str(doc), "-o", str(work / "library.d.ts")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert generate.returncode == 0, generate.stdout + generate.stderr
    assert "warn" not in (generate.stdout + generate.stderr).lower(), generate.stderr
    check = subprocess.run(
        [str(TS_BIN / "tsc"), "--strict", "--noEmit", "-p", str(work)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert " as " not in (work / "program.ts").read_text()  # no casts
