"""ETags, `If-Match` / `If-None-Match`, and the guard that makes a conditional write atomic.
Pure.

An ETag identifies the stored document, whatever `fields` or `populate` shaped the answer:
the `revision_id` for models with `use_revision`, else a digest of the stored document's
BSON (the same stored document always encodes to the same bytes).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import bson
from bson.binary import Binary, UuidRepresentation
from bson.codec_options import CodecOptions

_CODEC: Final[CodecOptions[Any]] = CodecOptions(uuid_representation=UuidRepresentation.STANDARD)
_TAG_CHARS: Final = frozenset(chr(c) for c in range(0x21, 0x7F) if c != 0x22) | frozenset(
    chr(c) for c in range(0x80, 0x100)
)


@dataclass(frozen=True)
class EntityTag:
    """One entity tag from a request header: its opaque text (no quotes) and weakness."""

    opaque: str
    weak: bool = False


@dataclass(frozen=True)
class TagList:
    """A parsed `If-Match` / `If-None-Match`: `*`, or a list of tags.

    A header that does not parse is kept as an empty list, which matches nothing: an
    `If-Match` nobody can read must not let a write through."""

    any: bool = False
    tags: tuple[EntityTag, ...] = ()

    def matches_strong(self, current: str | None) -> bool:
        """`If-Match` (strong comparison): a weak tag never matches; `*` matches any
        stored document; nothing matches a document that is gone (`current` None)."""
        if current is None:
            return False
        if self.any:
            return True
        opaque = _opaque(current)
        return any(not tag.weak and tag.opaque == opaque for tag in self.tags)

    def matches_weak(self, current: str | None) -> bool:
        """`If-None-Match` (weak comparison): `W/"x"` and `"x"` both match `"x"`."""
        if current is None:
            return False
        if self.any:
            return True
        opaque = _opaque(current)
        return any(tag.opaque == opaque for tag in self.tags)


def etag(stored: Mapping[str, Any], revision_field: str | None) -> str:
    """The strong ETag of a stored document as read from the database, unprojected.

    `revision_field` is the key of the revision (`"revision_id"`) for `use_revision`
    models, else None. A document stored without a revision falls back to the digest."""
    if revision_field is not None:
        revision = stored.get(revision_field)
        if revision is not None:
            return f'"{_revision_text(revision)}"'
    digest = hashlib.sha256(bson.encode(stored, codec_options=_CODEC)).digest()[:16]
    return '"' + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") + '"'


def parse_tags(header: str | None) -> TagList | None:
    """An `If-Match` / `If-None-Match` value; None when the header is absent."""
    if header is None:
        return None
    text = header.strip()
    if text == "*":
        return TagList(any=True)
    tags: list[EntityTag] = []
    rest = text
    while rest:
        tag, rest = _next_tag(rest)
        if tag is None:
            return TagList()
        tags.append(tag)
    return TagList(tags=tuple(tags))


def write_guard(read: Mapping[str, Any], revision_field: str | None) -> dict[str, Any]:
    """What to AND into the filter of a conditional write so that it applies only while the
    stored document is still the one `read` (the If-Match check, done inside the write).

    The revision when the model keeps one; otherwise the whole document, compared as a
    literal (so that strings like `"$x"` in it are not read as field paths)."""
    if revision_field is not None and read.get(revision_field) is not None:
        return {revision_field: read[revision_field]}
    return {"$expr": {"$eq": ["$$ROOT", {"$literal": dict(read)}]}}


def _next_tag(text: str) -> tuple[EntityTag | None, str]:
    """The entity tag at the start of `text` and what follows its comma; (None, "") when
    `text` does not start with one."""
    weak = text.startswith("W/")
    body = text[2:] if weak else text
    if not body.startswith('"'):
        return None, ""
    end = body.find('"', 1)
    if end < 0 or not set(body[1:end]) <= _TAG_CHARS:
        return None, ""
    rest = body[end + 1 :].lstrip(" \t")
    if rest and not rest.startswith(","):
        return None, ""
    rest = rest[1:].lstrip(" \t,") if rest else ""
    return EntityTag(body[1:end], weak), rest


def _opaque(tag: str) -> str:
    return tag[2:].strip('"') if tag.startswith("W/") else tag.strip('"')


def _revision_text(revision: Any) -> str:
    if isinstance(revision, Binary) and revision.subtype == 4:
        return str(revision.as_uuid())
    if isinstance(revision, uuid.UUID):
        return str(revision)
    return str(revision).replace('"', "")
