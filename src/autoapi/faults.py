"""A create that leaves out a field the client cannot write is the server's fault.

The client could not have sent a hidden field, a stamped one or one outside the policy's
`write_fields`, so a validation failure saying it is missing must not come back as a 422
naming it: the hook (or the policy) that should have set it is at fault. It is answered as
any internal error (500 with the request id) and logged with the field's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from pydantic import ValidationError

from autoapi.errors import ProblemError, validation_errors
from autoapi.introspect import ModelSpec
from autoapi.messages import PYDANTIC
from autoapi.policy import Access
from autoapi.requestid import get_logger

logger = get_logger()

MISSING = PYDANTIC["missing"]
_ITEM_PREFIX = re.compile(r"^\[\d+\]\.")  # bulk entries name `[i].field`


def writable(spec: ModelSpec, access: Access, key: str) -> bool:
    """Whether a client under `access` may give the top-level field `key` in a body."""
    field = spec.fields.get(key)
    if field is not None and field.hidden:
        return False
    if access.stamp and key in access.stamp:
        return False
    return access.write_fields is None or key in access.write_fields


def missing_unwritable(
    spec: ModelSpec, access: Access, errors: Sequence[Mapping[str, str]]
) -> list[str]:
    """The fields that `errors` report missing and that the client could not have given."""
    found: list[str] = []
    for entry in errors:
        field = _ITEM_PREFIX.sub("", entry.get("field", ""))
        root = field.split(".")[0]
        if entry.get("message") != MISSING or writable(spec, access, root):
            continue
        if field not in found:
            found.append(field)
    return found


@contextmanager
def blaming_the_server(spec: ModelSpec, access: Access) -> Iterator[None]:
    """Turn a 422 over missing fields the client cannot write into a logged 500."""
    try:
        yield
    except ValidationError as exc:
        _check(spec, access, validation_errors(exc), exc)
        raise
    except ProblemError as exc:
        if exc.status == 422:
            _check(spec, access, exc.errors, exc)
        raise


def _check(
    spec: ModelSpec, access: Access, errors: Sequence[Mapping[str, str]], exc: Exception
) -> None:
    fields = missing_unwritable(spec, access, errors)
    if not fields:
        return
    logger.error(
        "a %s was created without %s, which the client cannot write: a hook or the policy's "
        "stamp should set it",
        spec.name,
        ", ".join(fields),
    )
    raise ProblemError(500, "An internal error occurred.", code="internal") from exc
