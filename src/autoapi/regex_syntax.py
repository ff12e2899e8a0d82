"""A small reader of regular expressions: just the structure the regex budget needs. Pure.

It reads a pattern that already compiles (so it need not validate) into groups,
alternatives, repeats, anchors and single-character atoms. Which characters an atom matches
is asked of `re` itself, one compiled atom at a time, over a sample alphabet (ASCII, the
pattern's own characters and a few non-ASCII ones), so that classes, escapes and
case-insensitivity are understood exactly as the matcher does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_EXTRA: Final = "\u00a0\u00e9\u00df\u0130\u0131\u017f\u212a\u0663\u2028\u20ac\u4e2d"
FLAG_BITS: Final = {"i": re.IGNORECASE, "s": re.DOTALL, "a": re.ASCII, "x": re.VERBOSE}
_QUANTIFIER: Final = re.compile(r"\{(\d*)(,?)(\d*)\}")
_OCTAL: Final = re.compile(r"0[0-7]{0,2}|[0-7]{3}")
_INLINE_FLAGS: Final = re.compile(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")


class Unsupported(Exception):
    """A construct the budget refuses outright; `reason` says which, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


BACKREFERENCE: Final = "backreferences are not allowed"
LOOKAROUND: Final = "lookahead and lookbehind are not allowed"
CONDITIONAL: Final = "conditional groups are not allowed"


def flag_bits(letters: str) -> int:
    """`imsx`-style letters → `re` flags (letters that do not matter here are ignored)."""
    flags = 0
    for letter in letters:
        flags |= FLAG_BITS.get(letter, 0)
    return flags


# --- the syntax tree --------------------------------------------------------------------


@dataclass(frozen=True)
class Chars:
    mask: int  # bit i set: the atom matches the i-th character of the sample alphabet


@dataclass(frozen=True)
class Anchor:
    pass


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    branches: tuple[Node, ...]


@dataclass(frozen=True)
class Group:
    body: Node
    atomic: bool


@dataclass(frozen=True)
class Repeat:
    body: Node
    low: int
    high: int | None  # None: unbounded
    possessive: bool


Node = Chars | Anchor | Seq | Alt | Group | Repeat


# --- the parser -------------------------------------------------------------------------


class Parser:
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

    def parse(self) -> Node:
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

    def _alternation(self) -> Node:
        branches = [self._sequence()]
        while self._peek() == "|":
            self._take()
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else Alt(tuple(branches))

    def _sequence(self) -> Node:
        items: list[Node] = []
        while True:
            self._skip_verbose()
            if self.pos >= len(self.text) or self._peek() in "|)":
                break
            atom = self._atom()
            if atom is not None:
                items.append(self._quantified(atom))
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def _quantified(self, atom: Node) -> Node:
        while True:
            self._skip_verbose()
            bounds = self._bounds()
            if bounds is None:
                return atom
            low, high = bounds
            possessive = self._peek() == "+"
            if self._peek() in "?+":
                self._take()
            atom = Repeat(atom, low, high, possessive)

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

    def _atom(self) -> Node | None:
        start = self.pos
        char = self._take()
        if char == "(":
            return self._group()
        if char in "^$":
            return Anchor()
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

    def _escape(self) -> Node:
        start = self.pos - 1
        char = self._take()
        if char in "bBAZ":
            return Anchor()
        if char.isdigit():
            octal = _OCTAL.match(self.text, start + 1)
            if octal is None:
                raise Unsupported(BACKREFERENCE)
            self.pos = octal.end()
        elif char in "xuU":
            self.pos += {"x": 2, "u": 4, "U": 8}[char]
        elif char == "N":
            self.pos = self.text.index("}", self.pos) + 1
        return self._chars(self.text[start : self.pos])

    def _group(self) -> Node | None:
        atomic = False
        if self._peek() == "?":
            self._take()
            head = self._peek(2)
            if head[:1] in "=!" or head in ("<=", "<!"):
                raise Unsupported(LOOKAROUND)
            if head == "P=":
                raise Unsupported(BACKREFERENCE)
            if head[:1] == "(":
                raise Unsupported(CONDITIONAL)
            if head[:1] == "#":
                self.pos = self.text.index(")", self.pos) + 1
                return None
            if head[:1] == "P":
                self.pos = self.text.index(">", self.pos) + 1
            elif head[:1] == ">":
                atomic = bool(self._take())
            elif not self._inlineflag_bits():
                return None
        return self._group_body(atomic)

    def _inlineflag_bits(self) -> bool:
        """`(?i)` (applies from here on: False) or `(?i-s:...)` (a scoped group: True)."""
        found = _INLINE_FLAGS.match(self.text, self.pos)
        assert found is not None  # the pattern compiled, so nothing else can follow `(?`
        self.pos = found.end()
        if found[3] == ")":
            self.flags |= flag_bits(found[1])
            return False
        self.pending = (flag_bits(found[1]), flag_bits(found[2] or ""))
        return True

    def _group_body(self, atomic: bool) -> Node:
        saved = self.flags
        on, off = self.pending
        self.pending = (0, 0)
        self.flags = (self.flags | on) & ~off
        body = self._alternation()
        self._take()  # the closing parenthesis
        self.flags = saved
        return Group(body, atomic)

    def _chars(self, source: str) -> Chars:
        """The atom `source` (one character's worth of pattern) as a mask over the alphabet."""
        flags = self.flags & (re.IGNORECASE | re.DOTALL | re.ASCII)
        mask = self.masks.get((source, flags))
        if mask is None:
            mask = 0
            for found in re.compile(source, flags).finditer(self.alphabet):
                mask |= 1 << found.start()
            self.masks[(source, flags)] = mask
        return Chars(mask)
