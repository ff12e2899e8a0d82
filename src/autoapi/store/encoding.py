"""A document instance → the dict Beanie stores, without Beanie's generic walk."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from beanie import Document, PydanticObjectId
from beanie.odm.utils.encoder import Encoder
from bson import DBRef, ObjectId

from autoapi.store.base import BEANIE_2, Raw

# -- encoding: a document instance → the dict Beanie stores ----------------------------------

_ENCODER = Encoder()
_PLAIN_STORED: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), datetime.datetime, ObjectId, PydanticObjectId, DBRef}
)


@dataclass(frozen=True)
class EncodingPlan:
    """How to store an instance of a model without Beanie's generic walk over it."""

    fields: Mapping[str, tuple[str, str | None]]  # attribute → (stored key, "one"/"many"/None)
    skipped: frozenset[str]  # attributes the installed Beanie does not store
    encode: Callable[[Any], Any]  # Beanie's encoder, for values not stored as they are


_PLANS: dict[type[Document], EncodingPlan | None] = {}  # None: Beanie's own encoder


def encode_value(value: Any) -> Any:
    """A value as Beanie stores it (a new revision id, say)."""
    return _ENCODER.encode(value)


def encode_document(doc: Document) -> Raw:
    """A document instance → the dict Beanie would store (links as DBRef, `_id` key).

    The same result as Beanie's `Encoder().encode(doc)`, several times faster: the per-model
    facts Beanie looks up on every call are read once, and plain values skip its encoder table.
    """
    plan = _plan_of(type(doc))
    if plan is None:
        return _ENCODER.encode(doc)  # type: ignore[no-any-return]
    out: Raw = {}
    for name, value in doc:
        if name in plan.skipped:
            continue
        key, link = plan.fields.get(name) or (name, None)
        if link is not None and value is not None:
            value = _refs(value) if link == "many" else _ref(value)
        out[key] = value if type(value) in _PLAIN_STORED else _encode_value(value, plan.encode)
    return out


def _ref(value: Any) -> Any:
    """A link (or a fetched document) as its DBRef; a stored value that is neither, kept
    from a document that no longer validates, as it is."""
    to_ref = getattr(value, "to_ref", None)
    return value if to_ref is None else to_ref()


def _refs(value: Any) -> Any:
    return [_ref(item) for item in value] if isinstance(value, list) else value


def stored_as_encoded(model: type[Document]) -> bool:
    """Whether Beanie's insert stores exactly `encode_document` of an instance and does
    nothing else a caller would miss: no nulls dropped, no validation on save, no saved state.
    """
    settings = model.get_settings()
    return (
        _plan_of(model) is not None
        and settings.keep_nulls
        and not settings.validate_on_save
        and not settings.use_state_management
    )


def _encode_value(value: Any, encode: Callable[[Any], Any]) -> Any:
    if type(value) is list and all(type(item) in _PLAIN_STORED for item in value):
        return list(value)
    return encode(value)


def _plan_of(model: type[Document]) -> EncodingPlan | None:
    return _PLANS[model] if model in _PLANS else _PLANS.setdefault(model, _plan(model))


def _plan(model: type[Document]) -> EncodingPlan | None:
    """None when Beanie's own encoder must run (custom bson encoders, unions, inheritance)."""
    settings = model.get_settings()
    if settings.bson_encoders or settings.union_doc is not None or model._class_id:
        return None
    if getattr(settings, "lazy_parsing", False):
        return None
    links = {name: info.link_type for name, info in (model.get_link_fields() or {}).items()}
    fields: dict[str, tuple[str, str | None]] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        kind = links.get(key)  # Beanie matches link fields by stored key
        fields[name] = (key, None if kind is None else _LINK_KINDS.get(kind.name))
    # As Beanie's `get_dict`: `revision_id` only when used; Beanie 2 stores nothing for
    # other `Field(exclude=True)` fields, Beanie 1 stores them.
    skipped = {"revision_id"} if not settings.use_revision else set()
    skipped |= {
        name
        for name, info in model.model_fields.items()
        if BEANIE_2 and info.exclude and name != "revision_id"
    }
    return EncodingPlan(fields, frozenset(skipped), Encoder(keep_nulls=True).encode)


_LINK_KINDS = {"DIRECT": "one", "OPTIONAL_DIRECT": "one", "LIST": "many", "OPTIONAL_LIST": "many"}
