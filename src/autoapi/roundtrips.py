"""Counting database round trips, for tests, benchmarks and metrics.

On a real driver, register :class:`CommandCounter` on the client
(``AsyncMongoClient(url, event_listeners=[CommandCounter()])``): it sees every command the
driver sends, ``getMore`` included. In-process stand-ins send no commands, so there the
database module tallies the command each of its calls would send. Either way, count inside
``with counting() as trips:``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

_active: list[RoundTrips] = []
_listening = False  # a CommandCounter has seen a command: the driver counts, not the tally


@dataclass
class RoundTrips:
    """The commands sent while counting: `(collection, command name)` in order, and the
    filter each one carried (a `count_documents` sends its filter as the first `$match`)."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    filters: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.calls)

    def add(self, collection: str, command: str, filter_: Any) -> None:
        self.calls.append((collection, command))
        self.filters.append(filter_)


@contextmanager
def counting() -> Iterator[RoundTrips]:
    """Count the round trips of every database call made in the block."""
    trips = RoundTrips()
    _active.append(trips)
    try:
        yield trips
    finally:
        _active.remove(trips)


@dataclass
class RequestTally:
    """One request's database calls and the documents its populate paths loaded."""

    trips: int = 0
    populated: int = 0


_request: ContextVar[RequestTally | None] = ContextVar("autoapi_request_tally", default=None)


@contextmanager
def per_request() -> Iterator[RequestTally]:
    """Count the database calls of the current request only (concurrent ones apart)."""
    current = RequestTally()
    token = _request.set(current)
    try:
        yield current
    finally:
        _request.reset(token)


def note_populated(documents: int) -> None:
    """Called by populate with the number of documents one of its queries loaded."""
    current = _request.get()
    if current is not None:
        current.populated += documents


def tally(command: str, collection: str, filter_: Any = None) -> None:
    """Called by the database module for each command it sends (the `counting()` lists
    ignore it on a real driver, whose commands a `CommandCounter` sees)."""
    current = _request.get()
    if current is not None:
        current.trips += 1
    if _active and not _listening:
        for trips in _active:
            trips.add(collection, command, filter_)


class CommandCounter(CommandListener):
    """A PyMongo command listener feeding :func:`counting`."""

    SKIPPED = frozenset({"hello", "ismaster", "isMaster", "ping", "endSessions", "killCursors"})

    def started(self, event: CommandStartedEvent) -> None:
        global _listening
        _listening = True
        if event.command_name in self.SKIPPED or not _active:
            return
        command = event.command
        target = command.get(event.command_name)
        coll = target if isinstance(target, str) else str(command.get("collection", ""))
        for trips in _active:
            trips.add(coll, event.command_name, _filter_of(command))

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


def _filter_of(command: Any) -> Any:
    if "filter" in command:
        return command["filter"]
    if "q" in command:
        return command["q"]
    stages = command.get("pipeline") or [{}]
    return stages[0].get("$match")
