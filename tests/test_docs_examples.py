"""The reference pages under docs/ against the code: their Python and curl examples run,
the options table of docs/mounting.md is `AutoAPI.__init__`'s signature, and every relative
link of the README and the pages points at a file and heading that exist.

A fenced block that is not meant to run on its own is marked with `<!-- fragment -->` on
the line before it; every other Python block in docs/hooks.md and docs/writes.md defines
its models and an `api`, and its `async def demo(client)` (if any) is run against that api
mounted at /api. Every curl example outside docs/tour.md runs against a fresh sample app,
page by page in order, and its answer is compared whole with the block after it.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from beanie import Document, init_beanie
from sample_app.app import Settings
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI
from tests.test_sample_app import Curl, Example, same_answer, serve

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
PYTHON_PAGES = ("hooks.md", "writes.md")
FRAGMENT = "<!-- fragment -->"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
# Written on another branch; accepted while absent so that this one can merge first.


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    language: str
    code: str
    fragment: bool

    @property
    def label(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Every fenced block of `page`, with whether the line before it marks a fragment."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(page.name, line, match[1], match[2], before.strip() == FRAGMENT))
    return found


# -- Python examples ------------------------------------------------------------------------


def python_blocks() -> list[Block]:
    return [b for name in PYTHON_PAGES for b in blocks(DOCS / name) if b.language == "python"]


def runnable_python() -> list[Block]:
    return [b for b in python_blocks() if not b.fragment]


def load(block: Block, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Execute the block as a module of its own (pydantic resolves names in it)."""
    name = f"docs_example_{block.page.removesuffix('.md')}_{block.line}"
    module = types.ModuleType(name)
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(block.code, block.label, "exec"), module.__dict__)
    return module


def documents_of(module: types.ModuleType) -> list[type[Document]]:
    return [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, Document) and v.__module__ == module.__name__
    ]


def test_the_python_pages_have_runnable_examples() -> None:
    for name in PYTHON_PAGES:
        assert any(b.page == name for b in runnable_python()), name


@pytest.mark.parametrize("block", python_blocks(), ids=lambda b: b.label)
def test_every_python_block_compiles(block: Block) -> None:
    try:
        code = compile(block.code, block.label, "exec")
    except SyntaxError as exc:
        pytest.fail(f"{block.label}, line {exc.lineno}: {exc.msg}")
    assert code.co_filename == block.label


@pytest.mark.parametrize("block", runnable_python(), ids=lambda b: b.label)
async def test_every_unmarked_python_block_runs(
    block: Block, database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load(block, monkeypatch)
    api = getattr(module, "api", None)
    assert isinstance(api, AutoAPI), f"{block.label} defines no `api` (mark it {FRAGMENT})"
    await init_beanie(database=database, document_models=documents_of(module))
    demo = getattr(module, "demo", None)
    if demo is None:
        return
    app = Starlette(routes=[Mount("/api", app=api)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://docs") as client:
        await demo(client)


# -- curl examples --------------------------------------------------------------------------


def curl_pages() -> list[Path]:
    return [page for page in PAGES if page.name != "tour.md"]


def curl_examples(page: Path) -> list[tuple[Block, Block | None]]:
    """Each unmarked block holding a curl command, with the block after it."""
    found = blocks(page)
    pairs = []
    for i, block in enumerate(found):
        if block.fragment or not re.search(r"^\s*curl ", block.code, re.MULTILINE):
            continue
        pairs.append((block, found[i + 1] if i + 1 < len(found) else None))
    return pairs


def single_command(block: Block) -> str:
    command = block.code.replace("\\\n", " ").strip()
    assert block.language == "sh" and command.startswith("curl ") and "\n" not in command, (
        f"{block.label}: a curl example is one command alone in a sh block (or {FRAGMENT})"
    )
    return command


@pytest.mark.parametrize("page", curl_pages(), ids=lambda p: p.name)
async def test_every_curl_example_answers_as_shown(page: Path) -> None:
    examples = curl_examples(page)
    if not examples:
        return
    settings = Settings.from_env({"CORS_ORIGINS": "http://localhost:5173"})
    async with serve(settings) as client:
        for block, after in examples:
            curl = Curl.parse(single_command(block))
            got = await curl.run(client)
            if after is None or after.language not in ("json", "text"):
                assert 200 <= curl.status < 300, f"{block.label}: {curl.status} {got}"
                continue
            example = Example(curl.url, after.code, after.language)
            same_answer(example, got, created=curl.verb == "POST")


def test_a_curl_block_with_more_than_one_command_is_refused() -> None:
    block = Block("x.md", 1, "sh", "FOO=1 python -m app\ncurl -s http://x/\n", False)
    with pytest.raises(AssertionError, match="one command"):
        single_command(block)


# -- the options table ----------------------------------------------------------------------


def table_rows(page: Path, header: str) -> list[list[str]]:
    """The cells of the table under `header` (the header line itself, as written)."""
    text = page.read_text(encoding="utf-8")
    assert header in text, f"{page.name} has no table {header!r}"
    rows = []
    for line in text.split(header, 1)[1].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        rows.append([c.strip() for c in cells])
    return rows


def documented_options() -> dict[str, str]:
    options = {}
    rows = table_rows(DOCS / "mounting.md", "| option | default | meaning |")
    for name, default, _meaning in rows:
        assert re.fullmatch(r"`\w+`", name), f"one option per row: {name!r}"
        assert name.strip("`") not in options, f"{name} twice"
        options[name.strip("`")] = default
    return options


def signature_options() -> dict[str, inspect.Parameter]:
    parameters = inspect.signature(AutoAPI.__init__).parameters.values()
    return {p.name: p for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def literal(cell: str) -> Iterator[Any]:
    """The Python value of a cell that is one backticked literal (nothing otherwise)."""
    match = re.fullmatch(r"`([^`]+)`", cell)
    if match is None:
        return
    try:
        yield ast.literal_eval(match[1])
    except (ValueError, SyntaxError):
        return


def option_faults(documented: dict[str, str], actual: dict[str, inspect.Parameter]) -> list[str]:
    faults = [f"undocumented: {n}" for n in actual.keys() - documented.keys()]
    faults += [f"not an option: {n}" for n in documented.keys() - actual.keys()]
    for name in documented.keys() & actual.keys():
        default = actual[name].default
        if default is inspect.Parameter.empty:
            if documented[name] != "required":
                faults.append(f"{name} is required")
            continue
        for value in literal(documented[name]):
            if value != default:
                faults.append(f"{name}: documented {value!r}, default {default!r}")
    return faults


def test_the_options_table_is_the_signature() -> None:
    assert option_faults(documented_options(), signature_options()) == []


def test_the_options_comparison_sees_any_change() -> None:
    documented, actual = documented_options(), signature_options()
    literal_rows = [n for n, cell in documented.items() if list(literal(cell))]
    assert len(literal_rows) >= 10
    for name in documented:
        assert option_faults({k: v for k, v in documented.items() if k != name}, actual)
        assert option_faults(documented, {k: v for k, v in actual.items() if k != name})
    for name in literal_rows:
        assert option_faults({**documented, name: "`12345`"}, actual), name


# -- links ----------------------------------------------------------------------------------


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def relative_links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]


def link_faults(page: Path) -> list[str]:
    faults = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            faults.append(f"{page.name}: {target} (no such file)")
        elif anchor and (file.suffix != ".md" or anchor not in anchors(file)):
            faults.append(f"{page.name}: {target} (no such heading)")
    return faults


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_every_relative_link_resolves(page: Path) -> None:
    assert link_faults(page) == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        (
            "Hidden fields: `autoapi.Hidden` or `Field(exclude=True)`",
            "hidden-fields-autoapihidden-or-fieldexcludetrue",
        ),
        ("Counting: `count`", "counting-count"),
        ("Concurrency: ETags and If-Match", "concurrency-etags-and-if-match"),
        ("check_auth", "check_auth"),
    ],
)
def test_slugs_are_githubs(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_broken_link_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Top\n\n[ok](#top) [bad](b.md) [gone](a.md#nowhere)\n")
    assert link_faults(tmp_path / "a.md") == [
        "a.md: b.md (no such file)",
        "a.md: a.md#nowhere (no such heading)",
    ]
