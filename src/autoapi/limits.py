"""The limits of the query language, in one table, and the budget one request spends. Pure.

The keys of :data:`LIMITS` are the wording of the limit table in `docs/query-language.md`,
which a test compares with this table both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from autoapi.errors import ProblemError, bad_request

LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "bytes of all `where`, `filter` and `match` values of one request": 16 * 1024,
        "operators in all `where`, `filter` and `match` values of one request": 100,
        "nesting depth of one `where`": 10,
        "values in one `$in` / `$nin` (or one array value)": 1000,
        "characters in one `$regex`, `$not` or `match` pattern": 512,
        "characters in the `search` text": 512,
    }
)

_NAMES: Final = tuple(LIMITS)
MAX_WHERE_BYTES: Final = LIMITS[_NAMES[0]]
MAX_OPERATORS: Final = LIMITS[_NAMES[1]]
MAX_DEPTH: Final = LIMITS[_NAMES[2]]
MAX_VALUES: Final = LIMITS[_NAMES[3]]
MAX_PATTERN: Final = LIMITS[_NAMES[4]]
MAX_SEARCH: Final = LIMITS[_NAMES[5]]

SELECTORS: Final = "where, filter and match"


@dataclass
class QueryBudget:
    """What the `where`, `filter` and `match` values of one request have spent together.

    Each `filter` counts as one operator and each `match` as one `$regex`, so repeating a
    parameter cannot multiply the work a request asks of the database.
    """

    operators: int = 0
    size: int = 0

    def spend_operator(self, param: str) -> None:
        """Count one operator; a 400 on `param` once the request holds too many."""
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise bad_request(
                param, f"more than the limit of {MAX_OPERATORS} operators in {SELECTORS} together"
            )

    def spend_bytes(self, param: str, raw: str) -> None:
        """Count the UTF-8 size of one value; a 400 on `param` once the request is too large."""
        self.size += len(raw.encode("utf-8", "surrogatepass"))
        if self.size > MAX_WHERE_BYTES:
            raise too_large(param)


def too_large(param: str) -> ProblemError:
    """The refusal of a value (or values together) beyond the size limit."""
    return bad_request(
        param, f"longer than the limit of {MAX_WHERE_BYTES} bytes for {SELECTORS} together"
    )
