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

Which characters an atom matches is asked of `re` itself, one compiled atom at a time, over
a sample alphabet (ASCII, the pattern's own characters and a few non-ASCII ones), so that
classes, escapes and case-insensitivity are understood exactly as the matcher does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final

SUBJECT_LENGTH: Final = 40  # the text length the estimate assumes for an unbounded repeat
MAX_WAYS: Final = (SUBJECT_LENGTH + 1) ** 3  # three unbounded repeats
MAX_UNBOUNDED_IN_A_ROW: Final = 3
_CAP: Final = MAX_WAYS * SUBJECT_LENGTH  # keeps the products small once they are too large

_EXTRA: Final = "\u00a0\u00e9\u00df\u0130\u0131\u017f\u212a\u0663\u2028\u20ac\u4e2d"
_FLAG_BITS: Final = {"i": re.IGNORECASE, "s": re.DOTALL, "a": re.ASCII, "x": re.VERBOSE}
_QUANTIFIER: Final = re.compile(r"\{(\d*)(,?)(\d*)\}")

INVALID: Final = "not a valid regular expression"
BACKREFERENCE: Final = "backreferences are not allowed"
LOOKAROUND: Final = "lookahead and lookbehind are not allowed"
CONDITIONAL: Final = "conditional groups are not allowed"
NESTED: Final = "a repeated part cannot itself hold a repeat or match nothing, as in (a+)+ or (a*)*"
ALTERNATIVES: Final = (
    "a repeated group cannot hold alternatives that begin with the same character, as in (a|ab)*"
)
IN_A_ROW: Final = (
    f"more than {MAX_UNBOUNDED_IN_A_ROW} unbounded repeats in a row can match the same "
    "character, as in a*a*a*a*"
)
TOO_MANY_WAYS: Final = "too many optional parts can match the same text"


def regex_refusal(pattern: str, options: str = "") -> str | None:
    """Why `pattern` (with `$options` letters `imsx`) is refused, or None when it is accepted."""
    try:
        re.compile(pattern, _flags(options))
    except (re.error, OverflowError, RecursionError, ValueError):
        return INVALID
    try:
        parser = _Parser(pattern, _flags(options))
        node = parser.parse()
        _Analysis(parser.representatives()).info(node)
    except _Refused as refused:
        return refused.reason
    return None


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _flags(letters: str) -> int:
    flags = 0
    for letter in letters:
        flags |= _FLAG_BITS.get(letter, 0)
    return flags


# --- the syntax tree --------------------------------------------------------------------


@dataclass(frozen=True)
class _Chars:
    mask: int  # bit i set: the atom matches the i-th character of the sample alphabet


@dataclass(frozen=True)
class _Anchor:
    pass


@dataclass(frozen=True)
class _Seq:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Alt:
    branches: tuple[_Node, ...]


@dataclass(frozen=True)
class _Group:
    body: _Node
    atomic: bool


@dataclass(frozen=True)
class _Repeat:
    body: _Node
    low: int
    high: int | None  # None: unbounded
    possessive: bool


_Node = _Chars | _Anchor | _Seq | _Alt | _Group | _Repeat


# --- the parser -------------------------------------------------------------------------


class _Parser:
    """A recursive-descent reader of an already compiled pattern (so it need not validate)."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.text = pattern
        self.pos = 0
        self.flags = flags
        variants = {v for c in pattern for v in (c, c.lower(), c.upper(), c.casefold()[:1])}
        ascii_ = {chr(i) for i in range(128)}
        self.alphabet = "".join(sorted(ascii_ | variants | set(_EXTRA)))
        self.masks: dict[tuple[str, int], int] = {}
        self.pending = (0, 0)  # flags a scoped group `(?i-s:...)` turns on and off

    def parse(self) -> _Node:
        return self._alternation()

    def representatives(self) -> list[int]:
        """One character (as a bit) per set of characters no atom tells apart."""
        blocks = [(1 << len(self.alphabet)) - 1]
        for mask in set(self.masks.values()):
            blocks = [part for b in blocks for part in (b & mask, b & ~mask) if part]
        return [block & -block for block in blocks]

    def _peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def _take(self, n: int = 1) -> str:
        self.pos += n
        return self.text[self.pos - n : self.pos]

    def _skip_verbose(self) -> None:
        while self.flags & re.VERBOSE and self.pos < len(self.text):
            if self._peek().isspace():
                self.pos += 1
            elif self._peek() == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end + 1
            else:
                return

    def _alternation(self) -> _Node:
        branches = [self._sequence()]
        while self._peek() == "|":
            self._take()
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else _Alt(tuple(branches))

    def _sequence(self) -> _Node:
        items: list[_Node] = []
        while True:
            self._skip_verbose()
            if self.pos >= len(self.text) or self._peek() in "|)":
                break
            atom = self._atom()
            if atom is not None:
                items.append(self._quantified(atom))
        return items[0] if len(items) == 1 else _Seq(tuple(items))

    def _quantified(self, atom: _Node) -> _Node:
        while True:
            self._skip_verbose()
            bounds = self._bounds()
            if bounds is None:
                return atom
            low, high = bounds
            possessive = self._peek() == "+"
            if self._peek() in "?+":
                self._take()
            atom = _Repeat(atom, low, high, possessive)

    def _bounds(self) -> tuple[int, int | None] | None:
        char = self._peek()
        if char in ("*", "+", "?"):
            self._take()
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        found = _QUANTIFIER.match(self.text, self.pos) if char == "{" else None
        if found is None or not (found[1] or found[2]):
            return None  # a `{` that is not a quantifier is a literal
        self.pos = found.end()
        low = int(found[1] or 0)
        if not found[2]:
            return low, low
        return low, int(found[3]) if found[3] else None

    def _atom(self) -> _Node | None:
        start = self.pos
        char = self._take()
        if char == "(":
            return self._group()
        if char in "^$":
            return _Anchor()
        if char == "\\":
            return self._escape()
        if char == "[":
            self._class_end()
            return self._chars(self.text[start : self.pos])
        return self._chars("." if char == "." else re.escape(char))

    def _class_end(self) -> None:
        if self._peek() == "^":
            self._take()
        if self._peek() == "]":
            self._take()
        while self.pos < len(self.text) and self._peek() != "]":
            self._take(2 if self._peek() == "\\" else 1)
        self._take()

    def _escape(self) -> _Node:
        start = self.pos - 1
        char = self._take()
        if char in "bBAZ":
            return _Anchor()
        if char.isdigit():
            octal = re.compile(r"0[0-7]{0,2}|[0-7]{3}").match(self.text, start + 1)
            if octal is None:
                raise _Refused(BACKREFERENCE)
            self.pos = octal.end()
        elif char in "xuU":
            self.pos += {"x": 2, "u": 4, "U": 8}[char]
        elif char == "N":
            self.pos = self.text.index("}", self.pos) + 1
        return self._chars(self.text[start : self.pos])

    def _group(self) -> _Node | None:
        atomic = False
        if self._peek() == "?":
            self._take()
            head = self._peek(2)
            if head[:1] in "=!" or head in ("<=", "<!"):
                raise _Refused(LOOKAROUND)
            if head == "P=":
                raise _Refused(BACKREFERENCE)
            if head[:1] == "(":
                raise _Refused(CONDITIONAL)
            if head[:1] == "#":
                self.pos = self.text.index(")", self.pos) + 1
                return None
            if head[:1] == "P":
                self.pos = self.text.index(">", self.pos) + 1
            elif head[:1] == ">":
                atomic = bool(self._take())
            elif not self._inline_flags():
                return None
        return self._group_body(atomic)

    def _inline_flags(self) -> bool:
        """`(?i)` (applies from here on: False) or `(?i-s:...)` (a scoped group: True)."""
        found = re.compile(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])").match(self.text, self.pos)
        assert found is not None  # the pattern compiled, so nothing else can follow `(?`
        self.pos = found.end()
        if found[3] == ")":
            self.flags |= _flags(found[1])
            return False
        self.pending = (_flags(found[1]), _flags(found[2] or ""))
        return True

    def _group_body(self, atomic: bool) -> _Node:
        saved = self.flags
        on, off = self.pending
        self.pending = (0, 0)
        self.flags = (self.flags | on) & ~off
        body = self._alternation()
        self._take()  # the closing parenthesis
        self.flags = saved
        return _Group(body, atomic)

    def _chars(self, source: str) -> _Chars:
        """The atom `source` (one character's worth of pattern) as a mask over the alphabet."""
        flags = self.flags & (re.IGNORECASE | re.DOTALL | re.ASCII)
        mask = self.masks.get((source, flags))
        if mask is None:
            mask = 0
            for found in re.compile(source, flags).finditer(self.alphabet):
                mask |= 1 << found.start()
            self.masks[(source, flags)] = mask
        return _Chars(mask)


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

    def info(self, node: _Node) -> _Info:
        result = self._info(node)
        if result.unbounded > MAX_UNBOUNDED_IN_A_ROW:
            raise _Refused(IN_A_ROW)
        if result.ways > MAX_WAYS:
            raise _Refused(TOO_MANY_WAYS)
        return result

    def _info(self, node: _Node) -> _Info:
        if isinstance(node, _Chars):
            return _Info(False, node.mask, node.mask, False, False)
        if isinstance(node, _Anchor):
            return _EMPTY
        if isinstance(node, _Group):
            body = self.info(node.body)
            return replace(body, ways=1, unbounded=0) if node.atomic else body
        if isinstance(node, _Repeat):
            return self._repeat(node)
        if isinstance(node, _Alt):
            return self._alt([self.info(b) for b in node.branches])
        return self._seq([self.info(item) for item in node.items])

    def _repeat(self, node: _Repeat) -> _Info:
        body = self.info(node.body)
        if node.high is None or node.high > 1:
            if body.varies or body.nullable:
                raise _Refused(NESTED)
            if body.overlap:
                raise _Refused(ALTERNATIVES)
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
