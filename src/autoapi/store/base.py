"""Facts shared by the database module: the Beanie line, document types, server codes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import beanie

BEANIE_2 = int(beanie.__version__.split(".")[0]) >= 2

Raw = dict[str, Any]
Stored = Mapping[str, Any]
Sort = Sequence[tuple[str, Any]]

_deadline: ContextVar[float | None] = ContextVar("autoapi_deadline", default=None)
_scope: ContextVar[Any] = ContextVar("autoapi_scope", default=None)  # a `scope.Scope`

RETRY_AFTER = "1"
TEXT_INDEX_NOT_FOUND = 27  # IndexNotFound: `$text` without a text index
REFUSED_QUERY_CODES = frozenset({2, 51091})  # BadValue, "Regular expression is invalid"
PATH_COLLISION_CODES = frozenset({31249, 31250})  # projection paths that overlap
DUPLICATE_KEY = 11000
