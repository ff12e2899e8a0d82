"""`<mount>/openapi.json` and `<mount>/docs`: the document and Swagger UI over it.

Swagger UI's files come from the installed `swagger-ui-py` package and are served under
`<mount>/docs/assets/`, so the page makes no request outside this API. These routes are not
model routes: `check_auth` does not run on them (they describe the API, not its data).
"""

from __future__ import annotations

import html
import importlib.util
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from autoapi.errors import problem_response
from autoapi.openapi import openapi_document

if TYPE_CHECKING:
    from autoapi.api import AutoAPI

Endpoint = Callable[[Request], Awaitable[Response]]
ALLOW = "GET, HEAD, OPTIONS"
ASSETS = (
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
)
# Swagger UI sets inline styles and SVG data URIs; everything else must come from here.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'self'"
)
INIT_JS = """window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  });
});
"""
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-url="{url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-ui-standalone-preset.js"></script>
<script src="{assets}/init.js"></script>
</body>
</html>
"""


def doc_routes(api: AutoAPI) -> list[BaseRoute]:
    """The routes of the document and the docs page, to add after the model routes."""

    async def document(request: Request) -> Response:
        return JSONResponse(openapi_document(api, _root(request), fresh=False))

    return [
        Route("/openapi.json", _GetOnly(document), methods=None),
        Route("/docs", _GetOnly(_page), methods=None),
        Route("/docs/assets/{name}", _GetOnly(_asset), methods=None),
    ]


async def _page(request: Request) -> Response:
    root = html.escape(_root(request), quote=True)
    page = PAGE.format(title="API docs", assets=f"{root}/docs/assets", url=f"{root}/openapi.json")
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP})


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name == "init.js":
        return Response(INIT_JS, media_type="text/javascript", headers=_cached())
    folder = swagger_ui_dir()
    if name not in ASSETS or folder is None:
        return problem_response(404, "no such asset")
    return FileResponse(folder / name, headers=_cached())


def swagger_ui_dir() -> Path | None:
    """The folder of Swagger UI's files in the installed `swagger-ui-py` package."""
    # find_spec locates the package without importing it (its import pulls in Jinja2).
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if folder.is_dir() else None


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _cached() -> dict[str, str]:
    return {"Cache-Control": "public, max-age=86400"}


class _GetOnly:
    """An ASGI endpoint for GET and HEAD; other methods get a problem+json 405.

    A class, not a function: Starlette would take a function for a request handler.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method in ("GET", "HEAD"):
            response = await self.endpoint(request)
            if request.method == "HEAD" and not isinstance(response, FileResponse):
                response.body = b""  # Content-Length stays that of the GET
        elif request.method == "OPTIONS":
            response = Response(status_code=204, headers={"Allow": ALLOW})
        else:
            response = problem_response(
                405, f"{request.method} is not allowed here", headers={"Allow": ALLOW}
            )
        await response(scope, receive, send)
