"""Request ids: `X-Request-ID` in and out, in every log line autoapi writes and in 500 bodies.

A client's id is kept when it is short and printable ASCII (a proxy's id survives the hop);
anything else is replaced by a fresh one, so a log line never carries a client's control
characters or megabytes.
"""

from __future__ import annotations

import contextvars
import logging
import os
from typing import Final

from starlette.types import Message, Scope, Send

HEADER: Final = "X-Request-ID"
MAX_LENGTH: Final = 128
SCOPE_KEY: Final = "autoapi.request_id"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "autoapi_request_id", default=None
)


def current_request_id() -> str | None:
    """The id of the request being answered, None outside one."""
    return _current.get()


def of_scope(scope: Scope) -> str | None:
    """The id of the request `scope` belongs to (the one its response echoes)."""
    known = scope.get(SCOPE_KEY)
    return str(known) if known is not None else current_request_id()


def accepted(value: str | None) -> str:
    """The client's id when it is 1 to 128 printable ASCII characters, else a new one."""
    if value and len(value) <= MAX_LENGTH and all("!" <= c <= "~" for c in value):
        return value
    return os.urandom(16).hex()  # 32 random hex digits, without building a UUID


def scope_header(scope: Scope) -> str | None:
    """The raw `X-Request-ID` of an ASGI scope (latin-1, as ASGI headers are)."""
    wanted = HEADER.lower().encode()
    for name, value in scope.get("headers") or ():
        if name.lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


def request_id(scope: Scope) -> tuple[str, contextvars.Token[str | None]]:
    """Set the request's id (logs and 500 bodies see it) until `forget_request_id` is
    given the token returned beside it."""
    ident = accepted(scope_header(scope))
    scope[SCOPE_KEY] = ident
    return ident, _current.set(ident)


def forget_request_id(token: contextvars.Token[str | None]) -> None:
    """The request is answered: its id is no longer the current one."""
    _current.reset(token)


def echoing(send: Send, ident: str) -> Send:
    """`send` adding `X-Request-ID` to the response's headers."""
    header = (HEADER.lower().encode(), ident.encode("latin-1"))

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0].lower() != header[0]]
            message = {**message, "headers": [*headers, header]}
        await send(message)

    return send_with_id


class RequestIdFilter(logging.Filter):
    """Puts the request id in front of each record's message and in `record.request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        ident = _current.get()
        record.request_id = ident or "-"
        if ident is not None and not getattr(record, "_autoapi_tagged", False):
            prefix = f"[request_id={ident}] "
            if record.args:  # the message is %-formatted later: keep the id literal
                prefix = prefix.replace("%", "%%")
            record.msg = prefix + str(record.msg)
            record._autoapi_tagged = True
        return True


def get_logger(name: str = "autoapi") -> logging.Logger:
    """A logger of autoapi whose lines carry the request id (use it for every autoapi log)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RequestIdFilter) for f in logger.filters):
        logger.addFilter(RequestIdFilter())
    return logger
