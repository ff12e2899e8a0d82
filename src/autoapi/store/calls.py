"""Every driver call within the request's time budget, and driver failures as problems."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextvars import Token
from typing import Any

from beanie import Document
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from autoapi.errors import ProblemError, bad_request
from autoapi.introspect import is_hidden
from autoapi.store.base import (
    PATH_COLLISION_CODES,
    REFUSED_QUERY_CODES,
    RETRY_AFTER,
    TEXT_INDEX_NOT_FOUND,
    _deadline,
    _scope,
)

# -- the time budget ---------------------------------------------------------------------


def start_deadline(max_time_ms: int | None) -> Token[float | None]:
    """Give every database call the time left of `max_time_ms` (None: no limit), until
    `end_deadline` gets the token back."""
    return _deadline.set(None if max_time_ms is None else time.monotonic() + max_time_ms / 1000)


def end_deadline(token: Token[float | None]) -> None:
    _deadline.reset(token)


def time_left_ms() -> int | None:
    """Milliseconds left for the current request; raises the 503 when none is left."""
    end = _deadline.get()
    if end is None:
        return None
    left = int((end - time.monotonic()) * 1000)
    if left <= 0:
        raise unavailable()
    return left


def unavailable() -> ProblemError:
    """503: the outcome of a write is unknown, a read can be tried again."""
    return ProblemError(
        503,
        "the database did not answer in time; try again shortly",
        headers={"Retry-After": RETRY_AFTER},
    )


async def _run(
    call: Callable[[], Any], *, blame: Sequence[str] = (), model: type[Document] | None = None
) -> Any:
    """Make a driver call within the time left, mapping driver failures to problems."""
    left = time_left_ms()
    try:
        if left is None:
            return await call()
        async with asyncio.timeout(left / 1000):  # no task of its own, unlike wait_for
            return await call()
    except TimeoutError:
        raise unavailable() from None
    except (PyMongoError, NotImplementedError) as exc:
        raise db_problem(exc, blame, model) from exc


def _max_time() -> dict[str, Any]:
    left = time_left_ms()
    return {} if left is None else {"max_time_ms": left}


# -- errors ------------------------------------------------------------------------------


def db_problem(
    exc: BaseException, blame: Sequence[str] = (), model: type[Document] | None = None
) -> ProblemError:
    """The HTTP answer to a driver failure; re-raises what has no meaning for a client."""
    if isinstance(exc, (ExecutionTimeout, ServerSelectionTimeoutError, ConnectionFailure)):
        return unavailable()
    if isinstance(exc, DuplicateKeyError):
        return duplicate(exc, model)
    problem = _refused(exc, blame)
    if problem is not None:
        return problem
    raise exc


def duplicate(exc: DuplicateKeyError, model: type[Document] | None) -> ProblemError:
    """409 naming the clashing unique fields, unless they are hidden."""
    keys = [key for key in (exc.details or {}).get("keyValue") or {} if _visible(model, key)]
    what = ", ".join(keys) if keys else "unique value"
    errors = [{"field": key, "message": "already exists"} for key in keys]
    return ProblemError(409, f"a document with this {what} already exists", errors)


def _visible(model: type[Document] | None, key: str) -> bool:
    if model is None:
        return False
    if key == "_id":
        return True
    root = key.split(".")[0]
    scope = _scope.get()
    if scope is not None and not scope.readable(model, root):  # outside `read_fields`
        return False
    for name, info in model.model_fields.items():
        if (info.alias or name) == root:
            return not is_hidden(info)
    return False


def _refused(exc: BaseException, blame: Sequence[str]) -> ProblemError | None:
    if isinstance(exc, NotImplementedError) and "search" in blame:
        return bad_request("search", "this database cannot run a text search", "not_searchable")
    if not isinstance(exc, OperationFailure):
        return None
    if "search" in blame and (exc.code == TEXT_INDEX_NOT_FOUND or "text index" in str(exc).lower()):
        return bad_request(
            "search",
            "this collection has no text index, so it cannot be searched",
            "not_searchable",
        )
    if exc.code in PATH_COLLISION_CODES:
        return bad_request("fields", "a field and a path inside it cannot both be chosen")
    if exc.code in REFUSED_QUERY_CODES:
        param = next((p for p in blame if p != "search"), "where")
        return bad_request(param, "the database refused this pattern or value")
    return None
