"""Patterns from `where` (`$regex`, `$not`) and `match`: checked once, the same way. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from autoapi.errors import bad_request
from autoapi.introspect import FieldSpec, ModelSpec
from autoapi.limits import MAX_PATTERN, QueryBudget
from autoapi.paths import check_text, field_path, is_text, shown
from autoapi.regex_budget import regex_refusal

REGEX_FLAGS: Final[Mapping[str, re.RegexFlag]] = MappingProxyType(
    {
        "i": re.IGNORECASE,
        "m": re.MULTILINE,
        "s": re.DOTALL,
        "x": re.VERBOSE,
    }
)
CASE_INSENSITIVE_PREFIX: Final = "(?i)"


def check_pattern(param: str, path: str, field: FieldSpec, pattern: str, options: str) -> None:
    """Refuse (400 on `param`, naming the field at `path`) a pattern that cannot be matched
    against that field, does not compile, or could take unbounded time to match."""
    if not is_text(field):
        raise bad_request(param, f"{path}: patterns can only be matched against text fields")
    if len(pattern) > MAX_PATTERN:
        raise bad_request(param, f"{path}: the pattern is longer than {MAX_PATTERN} characters")
    if "\x00" in pattern:
        raise bad_request(param, f"{path}: the pattern contains a NUL character")
    check_text(param, pattern)
    flags = re.NOFLAG
    for letter in options:
        flags |= REGEX_FLAGS[letter]
    try:
        re.compile(pattern, flags)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        raise bad_request(param, f"{path}: invalid pattern {shown(pattern, 40)}: {exc}") from None
    reason = regex_refusal(pattern, options)
    if reason is not None:
        raise bad_request(param, f"{path}: pattern refused, {reason}")


def parse_match(
    spec: ModelSpec, values: list[str], budget: QueryBudget | None = None
) -> list[dict[str, Any]]:
    """Each `field=pattern` → `{field: {"$regex": pattern}}`, one clause per value (AND-ed).

    A leading `(?i)` becomes `$options: "i"`. Each value counts as one `$regex` against the
    request's shared budget.
    """
    budget = budget if budget is not None else QueryBudget()
    return [_match_clause(spec, raw, budget) for raw in values]


def _match_clause(spec: ModelSpec, raw: str, budget: QueryBudget) -> dict[str, Any]:
    budget.spend_bytes("match", raw)
    name, sep, pattern = raw.partition("=")
    name = name.strip()
    if not sep:
        raise bad_request("match", f"expected field=pattern, got {shown(raw, 40)}")
    field = field_path(spec, "match", name)
    budget.spend_operator("match")
    options = ""
    if pattern.startswith(CASE_INSENSITIVE_PREFIX):
        pattern, options = pattern[len(CASE_INSENSITIVE_PREFIX) :], "i"
    check_pattern("match", name, field, pattern, options)
    clause: dict[str, Any] = {"$regex": pattern}
    if options:
        clause["$options"] = options
    return {name: clause}
