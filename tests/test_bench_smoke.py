"""The benchmarks still run and print their tables (tiny sizes), so they cannot rot."""

from __future__ import annotations

import pytest
from bench import compare


def test_compare_quick_prints_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    assert compare.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "| request | autoapi ms | hand-written ms | ratio |" in out
    for label in ("list of 10 |", "list of 50 |", "populate=author", "get one", "create one"):
        assert label in out
    assert "Peak memory for one list of 50 request" in out
