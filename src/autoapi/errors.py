"""One error shape: RFC 9457 problem+json, for everything autoapi answers.

Every problem carries a stable `code` from :data:`CODES` (clients branch on it, never on
`detail`), and so does each entry of its `errors` list. Bodies stay small whatever the
request: at most :data:`MAX_ERRORS` entries, and texts cut to a bounded length.
"""

from __future__ import annotations

import http
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from autoapi.requestid import current_request_id, get_logger

logger = get_logger()

PROBLEM_JSON = "application/problem+json"
MAX_ERRORS: Final = 100
MAX_ECHO: Final = 64  # characters of a client's value quoted back in a message
MAX_TEXT: Final = 400  # characters of the detail
MAX_MESSAGE: Final = 200  # characters of an entry's message
MAX_ENTRIES_TEXT: Final = 20_000  # characters of all entries together: the body stays small

CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "not_found": "No route here, or no document with this id (also outside your access).",
        "method_not_allowed": "The route exists but does not answer this method.",
        "unauthorized": "The request carries no acceptable credentials.",
        "forbidden": "The credentials do not allow this method, model or field.",
        "invalid_json": "The body or the `where` parameter is not valid JSON (duplicate keys "
        "and NaN included).",
        "invalid_encoding": "The body is not valid UTF-8.",
        "invalid_value": "A value has the wrong type or form for its field or parameter.",
        "unknown_field": "A field the model does not have, or does not show.",
        "missing_link": "A link names a document that does not exist (or is outside your access).",
        "limit_exceeded": "A value goes past a limit: size, depth, count or length.",
        "unsafe_pattern": "A regular expression that could run for an unbounded time.",
        "not_searchable": "Text search needs a text index and a database that can search.",
        "too_large": "The request body is larger than allowed.",
        "unsupported_media_type": "The body is neither JSON nor a URL-encoded form.",
        "conflict": "A unique value is taken, or the document changed meanwhile.",
        "stored_invalid": "The stored document no longer validates; the update cannot fix it.",
        "precondition_failed": "`If-Match` does not match the stored document.",
        "precondition_required": "This API requires `If-Match` on writes.",
        "unavailable": "The database did not answer in time; the outcome of a write is unknown.",
        "audit_failed": "The change was made but its audit event could not be written.",
        "internal": "An unexpected error; the log line carries the same request id.",
    }
)

STATUS_CODES: Final[Mapping[int, str]] = MappingProxyType(
    {
        400: "invalid_value",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        412: "precondition_failed",
        413: "too_large",
        415: "unsupported_media_type",
        422: "invalid_value",
        428: "precondition_required",
        500: "internal",
        503: "unavailable",
    }
)


class ProblemError(Exception):
    """An error answered as problem+json; `errors` names the fields at fault.

    `code` defaults to the usual code of `status`; each `errors` entry without a code of
    its own gets the problem's.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or STATUS_CODES.get(status, "internal")
        if self.code not in CODES:
            raise ValueError(f"unknown problem code {self.code!r}")
        self.errors = [dict(e) for e in errors]  # each gets the code on the way out
        self.headers = dict(headers or {})


def not_found(model_name: str) -> ProblemError:
    """The one 404 of a route's id: unparseable and unknown ids read the same everywhere."""
    return ProblemError(404, f"no {model_name} with this id")


def echo(value: object) -> str:
    """A client's value, quoted for a message and cut to :data:`MAX_ECHO` characters."""
    return f"'{clip(value if isinstance(value, str) else repr(value))}'"


def clip(name: str) -> str:
    """A name (or value) a client sent, unquoted, cut to :data:`MAX_ECHO` characters."""
    return name[:MAX_ECHO] + "…" if len(name) > MAX_ECHO else name


def field_list(errors: Sequence[Mapping[str, str]]) -> str:
    """The fields of the first ten entries, for a detail: `a, b and more`."""
    more = " and more" if len(errors) > 10 else ""
    return ", ".join(clip(e["field"]) for e in errors[:10]) + more


def bad_request(param: str, message: str, code: str = "invalid_value") -> ProblemError:
    """400 for a query parameter: the detail and the `errors` entry both name it."""
    return ProblemError(
        400, f"{clip(param)}: {message}", [{"field": param, "message": message}], code=code
    )


def unprocessable(errors: Sequence[Mapping[str, str]], detail: str = "") -> ProblemError:
    # entries that agree on one code (all unknown fields, all missing links) give it
    codes = {e.get("code") for e in errors}
    code = codes.pop() if len(codes) == 1 else None
    return ProblemError(422, detail or f"invalid fields: {field_list(errors)}", errors, code=code)


def validation_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """pydantic errors → `[{"field": "biography.born", "message": ...}]`."""
    from autoapi.messages import pydantic_message

    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ()) if not isinstance(p, int))
        out.append(
            {
                "field": prefix + loc if loc else prefix.rstrip(".") or "body",
                "message": pydantic_message(err),
            }
        )
    return out


def problem_response(
    status: int,
    detail: str | None = None,
    errors: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
) -> Response:
    title = _title(status)
    code = code or STATUS_CODES.get(status, "internal")
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": _cut(detail if detail is not None else title),
        "code": code,
    }
    if errors:
        body["errors"] = entries = _entries(errors, code)
        if len(entries) < len(errors):
            body["truncated"] = True
    if status >= 500 and code in ("internal", "audit_failed"):
        body["request_id"] = current_request_id()
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def to_response(exc: BaseException) -> Response:
    """Map any exception to problem+json; a 500 never carries internals."""
    if isinstance(exc, ProblemError):
        return problem_response(exc.status, exc.detail, exc.errors, exc.headers, exc.code)
    if isinstance(exc, HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(exc.status_code, detail, headers=exc.headers)
    if isinstance(exc, PermissionError):
        return problem_response(403, str(exc) or "Forbidden")
    if isinstance(exc, ValidationError):
        errors = validation_errors(exc)
        return problem_response(422, f"invalid fields: {field_list(errors)}", errors)
    logger.error("unhandled error in autoapi: %s", type(exc).__name__, exc_info=exc)
    return problem_response(500, "An internal error occurred.")


async def handle(request: Request, exc: Exception) -> Response:
    """Exception handler for Starlette's ExceptionMiddleware."""
    return to_response(exc)


def _entries(errors: Sequence[Mapping[str, str]], code: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    budget = MAX_ENTRIES_TEXT
    for entry in errors[:MAX_ERRORS]:
        cut = _entry(entry, code)
        budget -= sum(len(k) + len(v) for k, v in cut.items())
        if budget < 0:
            break
        out.append(cut)
    return out


def _entry(entry: Mapping[str, str], code: str) -> dict[str, str]:
    out = {key: _entry_text(key, str(value)) for key, value in entry.items()}
    out.setdefault("code", code)
    return out


def _entry_text(key: str, text: str) -> str:
    if key == "field":  # often a name the client sent (an unknown key): cut as echoes are
        return clip(text)
    return _cut(text, MAX_MESSAGE if key == "message" else 64)


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"
