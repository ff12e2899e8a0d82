"""The database module (the package `autoapi.store`) is the only code that talks to the
driver or to Beanie's internals.

Every module of the package is read (its imports, and the names it calls) and checked
against one table of what each may reach; a new import of Motor, mongomock, a PyMongo
module other than its errors, or a private `beanie.odm` module outside the database module
fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "autoapi"
DATABASE_MODULE = "store"

# module → the driver or Beanie-internal imports it may make besides `bson` (BSON types)
ALLOWED: dict[str, set[str]] = {
    "introspect": {"beanie.odm.fields"},  # reading models: the kinds of link field
    "roundtrips": {"pymongo.monitoring"},  # the command listener base class
    "endpoints": {"pymongo.errors"},  # errors a custom hook raises, re-raised as problems
}
FORBIDDEN_ROOTS = ("motor", "mongomock", "mongomock_motor", "pymongo_async_mock")
DRIVER_CALLS = {"get_motor_collection", "get_pymongo_collection", "insert_one", "find_one",
                "update_one", "delete_one", "count_documents", "aggregate"}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.glob("*.py") if p.stem != DATABASE_MODULE)


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def driver_imports(path: Path) -> set[str]:
    return {
        name for name in imports(path)
        if name.split(".")[0] in ("pymongo", *FORBIDDEN_ROOTS) or name.startswith("beanie.odm")
    }


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.stem)
def test_only_the_database_module_imports_the_driver(path: Path) -> None:
    assert driver_imports(path) <= ALLOWED.get(path.stem, set())


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.stem)
def test_only_the_database_module_calls_the_driver(path: Path) -> None:
    called = {  # `store.find_one(...)` is the database module's own function
        node.attr for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and not (isinstance(node.value, ast.Name) and node.value.id == DATABASE_MODULE)
    }
    assert not called & DRIVER_CALLS


def test_the_table_names_real_modules_and_the_check_can_fail(tmp_path: Path) -> None:
    assert set(ALLOWED) <= {p.stem for p in modules()}
    bad = tmp_path / "bad.py"
    bad.write_text("from motor.motor_asyncio import AsyncIOMotorClient\nx.find_one({})\n")
    assert driver_imports(bad) == {"motor.motor_asyncio"}
    assert (PACKAGE / DATABASE_MODULE / "__init__.py").is_file()  # a package, split by concern
