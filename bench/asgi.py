"""Calling an ASGI app directly, without a server or a client: what the in-process
benchmarks time."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp


async def call(
    app: ASGIApp, method: str, path: str, query: bytes = b"", body: bytes = b""
) -> int:
    """One request to `app` (a JSON body when `body` is given); the answer's status."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    headers = [(b"host", b"bench")]
    if body:
        headers.append((b"content-type", b"application/json"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query, "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("bench", 80)}
    await app(scope, receive, send)
    return int(sent[0]["status"])


async def per_call_us(app: ASGIApp, calls: int, method: str, path: str, query: bytes = b"",
                      body: bytes = b"") -> float:
    """The process CPU per request, in µs, over `calls` requests in a row."""
    started = time.process_time()
    for _ in range(calls):
        await call(app, method, path, query, body)
    return (time.process_time() - started) / calls * 1e6
