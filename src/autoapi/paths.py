"""Field paths and text a client sends, checked before anything else looks at them. Pure."""

from __future__ import annotations

import typing
from typing import Any, Literal

from autoapi.errors import bad_request
from autoapi.introspect import FieldSpec, ModelSpec


def field_path(spec: ModelSpec, param: str, name: str) -> FieldSpec:
    """The field a dot path names in option `param`; a 400 when the path is malformed or
    unknown (a hidden field answers exactly like an unknown one)."""
    check_segments(param, name)
    found = spec.resolve(name)
    if found is None:
        raise bad_request(param, f"unknown field {shown(name)}")
    return found


def check_segments(param: str, name: str) -> None:
    """Refuse a path with an empty segment, a `$` or a NUL: MongoDB would read them as
    operators, positional updates or the end of the key."""
    check_text(param, name)
    if "\x00" in name:
        raise bad_request(param, "a field name contains a NUL character")
    if "$" in name:
        raise bad_request(param, f"field names cannot contain '$': {shown(name)}")
    if "" in name.split("."):
        raise bad_request(param, f"unknown field {shown(name)}: a field name has an empty part")


def check_text(param: str, text: str) -> None:
    """Refuse text that is not valid UTF-8 (JSON's `\\ud800` escapes allow lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request(param, "invalid unicode (an unpaired surrogate)") from None


def is_text(field: FieldSpec) -> bool:
    """Whether a pattern can be matched against the field: strings, lists of strings, and
    open (`dict` / `Any`) fields whose values are not known in advance."""
    if field.open:
        return True
    if field.link is not None or field.children is not None:
        return False
    return _text_annotation(field.annotation)


def _text_annotation(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, str)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Literal:
        return bool(args) and all(isinstance(arg, str) for arg in args)
    return any(_text_annotation(arg) for arg in args if arg is not type(None))


def shown(name: str, limit: int = 64) -> str:
    """A name echoed in a message: quoted and cut to `limit` characters."""
    cut = name if len(name) <= limit else name[: limit - 1] + "…"
    return f"'{cut}'"
