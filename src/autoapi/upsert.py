"""Create-or-update (`X-HTTP-Method: CoU`) and create-or-replace (`CoR`): one upsert.

No existence read comes first. The body is validated as a whole new document; when that
passes, the upsert may create (the fields the body does not give are written on insert
only, with `$setOnInsert`). When it fails only because fields the body leaves out are
required, the document can only be updated: each given field is validated on its own, as
PATCH does, and a missing document is then a 422 with the reasons it could not be created.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from beanie import Document
from pydantic import ValidationError

from autoapi import store
from autoapi.errors import ProblemError, unprocessable, validation_errors
from autoapi.introspect import ModelSpec
from autoapi.writes import get_path, instance_of, leaf_paths

Mode = Literal["cou", "cor"]
MODES: Mapping[str, Mode] = {"cou": "cou", "cor": "cor"}


def parse_mode(value: str) -> Mode:
    """The `X-HTTP-Method` header value, case-insensitive; anything else is a 400."""
    mode = MODES.get(value.strip().lower())
    if mode is None:
        raise ProblemError(
            400,
            "X-HTTP-Method must be CoU (create or update) or CoR (create or replace)",
            [{"field": "X-HTTP-Method", "message": "expected CoU or CoR"}],
        )
    return mode


@dataclass(frozen=True)
class Outcome:
    """The stored document after the upsert, and whether the database created it."""

    doc: Document
    stored: dict[str, Any]
    created: bool
    before: dict[str, Any] | None = None  # kept only when asked for (an audited request)


EVENTS: Mapping[Mode, str] = {"cou": "update", "cor": "replace"}


async def create_or_write(
    spec: ModelSpec, ident: Any, data: Mapping[str, Any], mode: Mode, keep_before: bool = False
) -> Outcome:
    """Upsert the document `ident` of `spec`'s model with `data` (stored keys, nested).

    The model's event actions fire as Beanie's own insert and update (CoU) or replace (CoR)
    do, without a read first: which one happens is known only from the server's answer, so
    the Before actions of both run on the instance built from the body (see `_as_new`), and
    the After actions of the one that happened run on the stored result.
    """
    paths = leaf_paths(spec.fields, data)
    unsets = [p for p, v in paths.items() if v is None] if mode == "cou" else []
    given = {p: v for p, v in paths.items() if p not in unsets}
    doc, errors = _as_new(spec, ident, _without(data, unsets) if unsets else data)
    if doc is None and mode == "cor":
        raise unprocessable(errors)
    if doc is None and (given_faults := _given_faults(errors, paths)):
        # wrong whether the document exists or not; a field the body leaves out may be stored
        raise unprocessable(given_faults)
    if doc is not None:
        update = await _create_update(spec, doc, given, unsets, mode)
    else:
        update = await _update_only(spec, given, unsets)
    update = _with_revision(spec, update)
    done = await store.upsert(
        spec.model, {"_id": ident}, update, doc is not None, keep_before=keep_before
    )
    stored, created = done.stored, done.created
    if stored is None:
        raise unprocessable(errors, f"no {spec.name} with this id, and it cannot be created")
    result = instance_of(spec, stored)
    await store.after_event(result, "insert" if created else EVENTS[mode])
    return Outcome(result, stored, created, done.before)


def _as_new(
    spec: ModelSpec, ident: Any, data: Mapping[str, Any]
) -> tuple[Document | None, list[dict[str, str]]]:
    """The body as a whole new document, or the reasons it is not one."""
    try:
        return spec.model.model_validate({**data, "_id": ident}), []
    except ValidationError as exc:
        return None, validation_errors(exc)


def _given_faults(errors: list[dict[str, str]], paths: Mapping[str, Any]) -> list[dict[str, str]]:
    """The faults that lie in a value the body gives (not in a field it leaves out)."""
    roots = {p.split(".")[0] for p in paths}
    return [e for e in errors if e["field"].split(".")[0] in roots or e["field"] == "body"]


async def _create_update(
    spec: ModelSpec,
    doc: Document,
    given: Mapping[str, Any],
    unsets: list[str],
    mode: Mode,
) -> dict[str, Any]:
    """The upsert of a body that can create: Before Insert, then Before Update or Replace
    actions run on `doc`. A key only Insert actions changed, and the body does not name, is
    written on creation only; any other key an action changed is written either way."""
    inserted = await store.before_event(doc, "insert")
    updated = await store.before_event(doc, EVENTS[mode])
    whole = store.encode_document(doc)
    named = {p.split(".")[0] for p in [*given, *unsets]}
    if mode == "cor":
        visible = [f.key for f in spec.fields.values() if not f.hidden and f.key != "_id"]
        sets = {key: whole[key] for key in visible if key in whole}
        gone = [key for key in visible if key not in whole]
        hidden = {k: v for k, v in whole.items() if k not in sets and k != "_id"}
        update = _update(sets, gone, hidden)
    else:
        sets = {p: get_path(whole, p) for p in given}
        taken = [*sets, *unsets]
        on_insert = {
            k: v for k, v in whole.items() if k != "_id" and not any(_overlap(k, p) for p in taken)
        }
        update = _update(sets, unsets, on_insert)
    for key in (inserted - updated - named) & whole.keys():
        _place(update, "$setOnInsert", key, whole[key])
    for key in updated & whole.keys():
        _place(update, "$set", key, whole[key])
    return {k: v for k, v in update.items() if v}


def _place(update: dict[str, Any], part: str, key: str, value: Any) -> None:
    """Write `key` (a top-level stored key) in `part` only, out of the other parts."""
    if key in ("_id", "revision_id"):
        return
    for name in ("$set", "$unset", "$setOnInsert"):
        paths = update.get(name, {})
        for path in [p for p in paths if _overlap(p, key)]:
            del paths[path]
    update.setdefault(part, {})[key] = value


async def _update_only(
    spec: ModelSpec, given: Mapping[str, Any], unsets: list[str]
) -> dict[str, Any]:
    """`$set` of the given paths, each value validated against its own field; then the
    Before Update actions, on an instance holding only those values and defaults."""
    probe = spec.model.model_construct()
    by_key = {key: name for name, key in spec.aliases.items()}
    errors: list[dict[str, str]] = []
    for root in {p.split(".")[0] for p in given}:
        value = _nested(given, root)
        try:
            spec.model.__pydantic_validator__.validate_assignment(
                probe, by_key.get(root, root), value
            )
        except ValidationError as exc:
            # A partial embedded object misses what the stored one has: only its values count.
            errors += [e for e in validation_errors(exc) if e["message"] != _MISSING]
    if errors:
        raise unprocessable(errors)
    updated = await store.before_event(probe, "update")
    encoded = store.encode_document(probe)
    sets = {p: (get_path(encoded, p) if "." not in p else v) for p, v in given.items()}
    update = _update(sets, unsets, {})
    for key in updated & encoded.keys():
        _place(update, "$set", key, encoded[key])
    return update


_MISSING = "is required"


def _nested(given: Mapping[str, Any], root: str) -> Any:
    if root in given:
        return given[root]
    out: dict[str, Any] = {}
    for path, value in given.items():
        head, _, rest = path.partition(".")
        if head == root and rest:
            node = out
            *parents, last = rest.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
    return out


def _update(
    sets: Mapping[str, Any], unsets: list[str], on_insert: Mapping[str, Any]
) -> dict[str, Any]:
    update: dict[str, Any] = {}
    if sets:
        update["$set"] = dict(sets)
    if unsets:
        update["$unset"] = dict.fromkeys(unsets, "")
    if on_insert:
        update["$setOnInsert"] = dict(on_insert)
    return update


def _with_revision(spec: ModelSpec, update: dict[str, Any]) -> dict[str, Any]:
    if not spec.model.get_settings().use_revision:
        return update
    for part in ("$setOnInsert", "$unset"):
        update.get(part, {}).pop("revision_id", None)
    update.setdefault("$set", {})["revision_id"] = store.encode_value(uuid.uuid4())
    return {k: v for k, v in update.items() if v}


def _without(data: Mapping[str, Any], paths: list[str]) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in data.items()}
    for path in paths:
        node: Any = out
        *parents, last = path.split(".")
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return out


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")
