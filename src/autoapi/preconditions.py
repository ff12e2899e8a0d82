"""Conditional requests on one document: its ETag, `If-None-Match` → 304, `If-Match` → the
guard the write ANDs into its filter (412 when it no longer matches), and 428.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from autoapi.conditional import etag, parse_tags, write_guard
from autoapi.errors import ProblemError
from autoapi.hooks import WRITE_GUARD
from autoapi.introspect import ModelSpec

REVISION = "revision_id"


def revision_field(spec: ModelSpec) -> str | None:
    """The stored key of the revision for `use_revision` models, else None."""
    return REVISION if spec.model.get_settings().use_revision else None


def tag_of(spec: ModelSpec, stored: Mapping[str, Any]) -> str:
    """The strong ETag of a stored (unprojected) document of `spec`'s model."""
    return etag(stored, revision_field(spec))


def tagged(spec: ModelSpec, stored: Mapping[str, Any] | None) -> dict[str, str]:
    """The `ETag` header of an answer carrying `stored` (none for a null answer)."""
    return {} if stored is None else {"ETag": tag_of(spec, stored)}


def not_modified(request: Request, tag: str) -> Response | None:
    """304 when `If-None-Match` names the document's current tag (weak comparison)."""
    tags = parse_tags(request.headers.get("if-none-match"))
    if tags is None or not tags.matches_weak(tag):
        return None
    return Response(status_code=304, headers={"ETag": tag})


def require_if_match(request: Request, required: bool) -> None:
    """428 for a write without `If-Match` when the API demands one."""
    if required and "if-match" not in request.headers:
        raise ProblemError(428, "this API requires If-Match on writes; GET the document first")


def guard_write(request: Request, spec: ModelSpec, stored: Mapping[str, Any]) -> None:
    """Check `If-Match` against the document read; on a match, make the default write
    conditional on that document still being the stored one (checked inside the write)."""
    tags = parse_tags(request.headers.get("if-match"))
    if tags is None:
        return
    if not tags.matches_strong(tag_of(spec, stored)):
        raise precondition_failed(spec)
    request.scope[WRITE_GUARD] = write_guard(stored, revision_field(spec))


def precondition_failed(spec: ModelSpec) -> ProblemError:
    return ProblemError(412, f"the {spec.name} changed since it was read; read it again")
