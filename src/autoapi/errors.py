"""One error shape: RFC 9457 problem+json, for everything autoapi answers."""

from __future__ import annotations

import http
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger("autoapi")

PROBLEM_JSON = "application/problem+json"


class ProblemError(Exception):
    """An error answered as problem+json; `errors` names the fields at fault."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = [dict(e) for e in errors]
        self.headers = dict(headers or {})


def bad_request(param: str, message: str) -> ProblemError:
    """400 for a query parameter: the detail and the `errors` entry both name it."""
    return ProblemError(400, f"{param}: {message}", [{"field": param, "message": message}])


def unprocessable(errors: Sequence[Mapping[str, str]], detail: str = "") -> ProblemError:
    fields = ", ".join(e["field"] for e in errors)
    return ProblemError(422, detail or f"invalid fields: {fields}", errors)


def validation_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """pydantic errors → `[{"field": "biography.born", "message": ...}]`."""
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ()) if not isinstance(p, int))
        out.append(
            {
                "field": prefix + loc if loc else prefix.rstrip(".") or "body",
                "message": err.get("msg", "invalid"),
            }
        )
    return out


def problem_response(
    status: int,
    detail: str | None = None,
    errors: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    title = _title(status)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail if detail is not None else title,
    }
    if errors:
        body["errors"] = [dict(e) for e in errors]
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def to_response(exc: BaseException) -> Response:
    """Map any exception to problem+json per SPEC §6/§7; a 500 never carries internals."""
    if isinstance(exc, ProblemError):
        return problem_response(exc.status, exc.detail, exc.errors, exc.headers)
    if isinstance(exc, HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(exc.status_code, detail, headers=exc.headers)
    if isinstance(exc, PermissionError):
        return problem_response(403, str(exc) or "Forbidden")
    if isinstance(exc, ValidationError):
        errors = validation_errors(exc)
        return problem_response(
            422, "invalid fields: " + ", ".join(e["field"] for e in errors), errors
        )
    logger.error("unhandled error in autoapi", exc_info=exc)
    return problem_response(500, "An internal error occurred.")


async def handle(request: Request, exc: Exception) -> Response:
    """Exception handler for Starlette's ExceptionMiddleware."""
    return to_response(exc)


def _title(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"
