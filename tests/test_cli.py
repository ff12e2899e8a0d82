"""`python -m autoapi openapi|schemas module:attr`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI
from autoapi.__main__ import main
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS

api = AutoAPI(models=ALL_MODELS, methods=["list", "get", "post"])
app = Starlette(routes=[Mount("/api", app=api)])
two = Starlette(routes=[Mount("/a", app=api), Mount("/b", app=api)])


def test_openapi_prints_the_document_of_a_mounted_api(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi", "tests.test_cli:app"]) == 0
    doc = json.loads(capsys.readouterr().out)
    validate(doc)
    assert doc["servers"] == [{"url": "/api"}]
    assert set(doc["paths"]["/authors"]) == {"get", "post"}


def test_openapi_of_an_api_with_a_root_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi", "tests.test_cli:api", "--root-path", "/v2"]) == 0
    assert json.loads(capsys.readouterr().out)["servers"] == [{"url": "/v2"}]


@pytest.mark.parametrize(
    ("target", "message"),
    [("tests.test_cli", "module:attr"), ("tests.nope:app", "cannot load"),
     ("tests.test_cli:nope", "cannot load"), ("tests.test_cli:two", "exactly one"),
     ("tests.test_cli:json", "exactly one")],
)
def test_bad_targets_exit_2(target: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi", target]) == 2
    assert message in capsys.readouterr().err


async def test_schemas_writes_entries_that_load_back(
    tmp_path: Path, make_client: MakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schemas", "tests.test_cli:app", "--out", str(tmp_path / "s")]) == 0
    written = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in written) == sorted(
        f"{m.Settings.name}.json" for m in ALL_MODELS)
    entry = json.loads((tmp_path / "s" / "authors.json").read_text())
    assert entry["name"] == "authors"
    assert set(entry) == {"name", "routeList", "routeGet", "routePost"}
    assert entry["routePost"]["body"]["required"] == ["firstName", "lastName"]
    client = await make_client(schema_dir=tmp_path / "s")
    assert_problem(await client.post("/api/authors", json={"firstName": "J"}), 422, "lastName")
    created = await client.post("/api/authors", json={"firstName": "J", "lastName": "K"})
    assert created.status_code == 201
    assert (await client.get("/api/authors")).json()["items"] == [created.json()]


def test_schemas_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "books.json").write_text("{}")
    assert main(["schemas", "tests.test_cli:api", "--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "books.json").read_text() == "{}"
    assert main(["schemas", "tests.test_cli:api", "--out", str(tmp_path), "--force"]) == 0
    assert json.loads((tmp_path / "books.json").read_text())["name"] == "books"


def test_python_dash_m_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "autoapi", "openapi", "tests.test_cli:app"],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parent.parent, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["openapi"] == "3.1.0"
