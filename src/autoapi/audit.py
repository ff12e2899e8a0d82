"""Audit events: one per document a successful write changed.

``AutoAPI(audit="audit_log")`` inserts each event into that collection of the `init_beanie`
database. Where the server runs transactions (a replica set or mongos), the change and its
events are written in one transaction: both or neither. Elsewhere the event is written right
after the change, which is not undone when the event cannot be written.
``audit=callable`` (sync or async) receives each event, right after the change.
A refused or failed write produces none. An event that cannot be recorded is logged whole
and answered 500 `audit_failed`, or 503 when the database is unreachable.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal

from beanie import Document
from starlette.requests import Request

from autoapi import policy, requestid, store
from autoapi.errors import ProblemError
from autoapi.hooks import call
from autoapi.serialize import jsonable

logger = requestid.get_logger()

Action = Literal["create", "update", "replace", "delete"]
Sink = str | Callable[[dict[str, Any]], Any]


class Auditor:
    """Builds and records audit events for one `AutoAPI`."""

    def __init__(self, sink: Sink, render: Callable[[type[Document], Mapping[str, Any]], Any]):
        if not (isinstance(sink, str) and sink) and not callable(sink):
            raise TypeError("audit must be a collection name or a callable")
        self.sink = sink
        self.render = render

    async def record(
        self,
        request: Request,
        model: type[Document],
        action: Action,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        """Record one event; raises the 500/503 problem when it cannot be recorded."""
        event = self.event(request, model, action, before, after)
        try:
            if isinstance(self.sink, str):
                await store.insert_event(model, self.sink, event)
            else:
                await call(self.sink, event)
        except ProblemError as exc:
            if exc.status != 503:
                raise self._failed(event) from exc
            logger.error("audit event not written (database unreachable): %r", event)
            raise
        except Exception as exc:
            raise self._failed(event) from exc

    def event(
        self,
        request: Request,
        model: type[Document],
        action: Action,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """The event of one change: rendered documents, hidden fields left out."""
        stored = after if after is not None else before or {}
        return {
            "at": datetime.datetime.now(datetime.UTC).isoformat(),
            "collection": model.get_collection_name(),
            "id": jsonable(stored.get("_id")),
            "action": action,
            "before": None if before is None else self.render(model, before),
            "after": None if after is None else self.render(model, after),
            "principal": _principal(request, model),
            "request_id": requestid.of_scope(request.scope),
        }

    def _failed(self, event: Mapping[str, Any]) -> ProblemError:
        logger.error("audit event not written: %r", event, exc_info=True)
        if store.in_transaction():  # the change goes back with it
            detail = "the change was not made: its audit event could not be written"
        else:
            detail = "the change was made but its audit event could not be written"
        return ProblemError(500, detail, code="audit_failed")


def auditing(request: Request) -> bool:
    """Whether the request's `AutoAPI` records events (a write then keeps what it needs)."""
    return getattr(request.scope.get("autoapi"), "auditor", None) is not None


async def record(
    request: Request,
    model: type[Document],
    action: Action,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    """Record a change when the request's `AutoAPI` audits (a no-op otherwise)."""
    api = request.scope.get("autoapi")
    auditor: Auditor | None = getattr(api, "auditor", None)
    if auditor is not None:
        await auditor.record(request, model, action, before, after)


@asynccontextmanager
async def transaction(request: Request, model: type[Document]) -> AsyncIterator[None]:
    """Run a write and its audit events in one transaction, when they go to a collection of a
    server that runs transactions; otherwise as they are (events right after the change)."""
    api = request.scope.get("autoapi")
    auditor: Auditor | None = getattr(api, "auditor", None)
    if auditor is None or not isinstance(auditor.sink, str):
        yield
        return
    async with store.transaction(model):
        yield


def _principal(request: Request, model: type[Document]) -> Any:
    gate = request.scope.get(policy.GATE)
    access = gate.cached(model) if gate is not None else None
    return jsonable(access.principal) if access is not None else None
