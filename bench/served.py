"""An ASGI wrapper that counts the requests an app has finished and those still running.

`bench.load` reads `GET /__served__` before and after each run: the app's CPU is divided by
the requests the app itself served (not only those the load tool saw answered before it
stopped), and a run is over only when no request is left running. Its own requests are
not counted.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

PATH = "/__served__"


class Served:
    """Wraps `app`; `GET /__served__` answers `{"served": n, "running": k}`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.served = 0
        self.running = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == PATH:
            await self._report(send)
            return
        self.running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1
            self.served += 1

    async def _report(self, send: Send) -> None:
        body = f'{{"served":{self.served},"running":{self.running}}}'.encode()
        headers: list[Any] = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
