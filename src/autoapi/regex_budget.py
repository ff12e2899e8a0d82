"""The regex budget: refuse, by its shape, a pattern that could make matching take forever. Pure.

MongoDB's PCRE and Python's `re` (what the in-process stand-ins run) both backtrack, and a
stand-in cannot be interrupted mid-match, so a pattern is judged before it is ever run.
:func:`regex_refusal` parses the pattern with a small parser of its own and refuses:

* backreferences, lookarounds and conditional groups;
* a repeat (maximum above 1) over a part that itself holds a varying repeat or can match
  nothing: `(a+)+`, `(a*)*`, `(\\w+\\s?)*`, `(a?){25}`;
* a repeat over a group holding alternatives that can begin with the same character:
  `(a|a)*`, `(ab|ac)*` (simple on purpose: no attempt to prove the alternatives differ);
* more than 3 unbounded repeats in a row whose atoms share a character: `a*a*a*a*b`;
* more generally, a sequence whose optional and alternative parts give too many ways to
  split the same text (each `?` doubles them, each unbounded repeat multiplies them by the
  text length): the estimate must stay within :data:`MAX_WAYS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final

from autoapi.regex_syntax import (
    Alt,
    Anchor,
    Chars,
    Group,
    Node,
    Parser,
    Repeat,
    Unsupported,
    flag_bits,
)

SUBJECT_LENGTH: Final = 40  # the text length the estimate assumes for an unbounded repeat
MAX_WAYS: Final = (SUBJECT_LENGTH + 1) ** 3  # three unbounded repeats
MAX_UNBOUNDED_IN_A_ROW: Final = 3
_CAP: Final = MAX_WAYS * SUBJECT_LENGTH  # keeps the products small once they are too large

INVALID: Final = "not a valid regular expression"
NESTED: Final = "a repeated part cannot itself hold a repeat or match nothing, as in (a+)+ or (a*)*"
ALTERNATIVES: Final = (
    "a repeated group cannot hold alternatives that begin with the same character, as in (a|ab)*"
)
IN_A_ROW: Final = (
    f"more than {MAX_UNBOUNDED_IN_A_ROW} unbounded repeats in a row can match the same "
    "character, as in a*a*a*a*"
)
TOO_MANY_WAYS: Final = "too many optional parts can match the same text"
TOO_DEEP: Final = "groups are nested too deeply"


def regex_refusal(pattern: str, options: str = "") -> str | None:
    """Why `pattern` (with `$options` letters `imsx`) is refused, or None when it is accepted.

    The reason is a short sentence meant for the client.
    """
    try:
        re.compile(pattern, flag_bits(options))
    except (re.error, OverflowError, RecursionError, ValueError):
        return INVALID
    try:
        parser = Parser(pattern, flag_bits(options))
        node = parser.parse()
        _Analysis(parser.representatives()).info(node)
    except Unsupported as refused:
        return refused.reason
    except RecursionError:
        return TOO_DEEP
    return None


# --- the analysis -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Info:
    """What the rules need to know about a node."""

    nullable: bool  # can match the empty string
    first: int  # characters a match can begin with
    chars: int  # characters a match can contain
    varies: bool  # holds a repeat whose count can vary
    overlap: bool  # holds alternatives that can begin with the same character
    ways: int = 1  # ways to split one stretch of text (estimated)
    unbounded: int = 0  # unbounded repeats in a row that share a character


_EMPTY: Final = _Info(True, 0, 0, False, False)


class _Analysis:
    def __init__(self, representatives: list[int]) -> None:
        self.representatives = representatives

    def info(self, node: Node) -> _Info:
        result = self._info(node)
        if result.unbounded > MAX_UNBOUNDED_IN_A_ROW:
            raise Unsupported(IN_A_ROW)
        if result.ways > MAX_WAYS:
            raise Unsupported(TOO_MANY_WAYS)
        return result

    def _info(self, node: Node) -> _Info:
        if isinstance(node, Chars):
            return _Info(False, node.mask, node.mask, False, False)
        if isinstance(node, Anchor):
            return _EMPTY
        if isinstance(node, Group):
            body = self.info(node.body)
            return replace(body, ways=1, unbounded=0) if node.atomic else body
        if isinstance(node, Repeat):
            return self._repeat(node)
        if isinstance(node, Alt):
            return self._alt([self.info(b) for b in node.branches])
        return self._seq([self.info(item) for item in node.items])

    def _repeat(self, node: Repeat) -> _Info:
        body = self.info(node.body)
        if node.high is None or node.high > 1:
            if body.varies or body.nullable:
                raise Unsupported(NESTED)
            if body.overlap:
                raise Unsupported(ALTERNATIVES)
        top = SUBJECT_LENGTH if node.high is None else min(node.high, SUBJECT_LENGTH)
        span = max(top - min(node.low, SUBJECT_LENGTH) + 1, 1)
        return _Info(
            nullable=node.low == 0 or body.nullable,
            first=body.first,
            chars=body.chars,
            varies=body.varies or node.high != node.low,
            overlap=body.overlap,
            ways=1 if node.possessive else min(body.ways * span, _CAP),
            unbounded=0 if node.possessive else body.unbounded + (node.high is None),
        )

    def _alt(self, branches: list[_Info]) -> _Info:
        overlap = any(a.first & b.first for i, a in enumerate(branches) for b in branches[i + 1 :])
        # Branches that cannot begin alike exclude each other, unless one can match nothing.
        several = overlap or any(b.nullable for b in branches)
        ways = [b.ways for b in branches]
        first = chars = 0
        for branch in branches:
            first, chars = first | branch.first, chars | branch.chars
        return _Info(
            nullable=any(b.nullable for b in branches),
            first=first,
            chars=chars,
            varies=any(b.varies for b in branches),
            overlap=overlap or any(b.overlap for b in branches),
            ways=min(sum(ways) if several else max(ways), _CAP),
            unbounded=max(b.unbounded for b in branches),
        )

    def _seq(self, items: list[_Info]) -> _Info:
        first = chars = 0
        for item in items:
            chars |= item.chars
        for item in items:
            first |= item.first
            if not item.nullable:
                break
        ways, unbounded = self._stretches(items)
        for item in items:
            if item.overlap:  # its choices multiply with everything else on a failed match
                ways = min(ways * item.ways, _CAP)
        return _Info(
            nullable=all(i.nullable for i in items),
            first=first,
            chars=chars,
            varies=any(i.varies for i in items),
            overlap=any(i.overlap for i in items),
            ways=ways,
            unbounded=unbounded,
        )

    def _stretches(self, items: list[_Info]) -> tuple[int, int]:
        """The most ways and unbounded repeats among items that can trade one character:
        each holds it, and whatever lies between them holds it or can match nothing."""
        varying = 0
        for item in items:
            if item.ways > 1 and not item.overlap:
                varying |= item.chars
        most_ways, most_unbounded = 1, 0
        for bit in self.representatives:
            if not bit & varying:
                continue
            ways, unbounded = 1, 0
            for item in items:
                if item.chars & bit:
                    ways = ways if item.overlap else min(ways * item.ways, _CAP)
                    unbounded += item.unbounded
                elif not item.nullable:
                    ways, unbounded = 1, 0
                most_ways, most_unbounded = max(most_ways, ways), max(most_unbounded, unbounded)
        single = max((i.unbounded for i in items), default=0)
        return most_ways, max(most_unbounded, single)
