"""The one table of generated routes, read by the app, the OpenAPI builder, the CLI and docs.

Each row is one kind of route: the `methods` name that enables it, its HTTP verb, the shape
of its path, the schema-entry key that configures it, the model hook it runs, the
`Endpoints` handler that serves it, and how the OpenAPI document names and summarizes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Shape = Literal["collection", "item", "forward", "reverse"]


@dataclass(frozen=True)
class RouteKind:
    """One row of the route table."""

    method: str  # the name in `AutoAPI(methods=...)`
    http: str
    shape: Shape
    key: str | None  # the schema-entry key (`routeList`), None when entries cannot shape it
    hook: str | None  # the model hook the default handler runs
    handler: str  # the attribute of `Endpoints` that serves it
    verb: str  # the operation id is `<verb>_<model>`
    summary: str  # `{model}`, `{target}` and `{link}` are filled in
    opt_in: bool = False  # not in the default `methods`: on only when named


ROUTES: tuple[RouteKind, ...] = (
    RouteKind(
        "list", "GET", "collection", "routeList", "on_list_query", "collection", "list",
        "List {model} documents",
    ),
    RouteKind("get", "GET", "item", "routeGet", None, "get", "get", "Read one {model}"),
    RouteKind(
        "post", "POST", "collection", "routePost", "api_post", "create", "create",
        "Create one {model}",
    ),
    RouteKind(
        "put", "PUT", "item", "routePut", "api_put", "update", "update",
        "Update one {model}: merge the given fields",
    ),
    RouteKind(
        "patch", "PATCH", "item", "routePatch", "api_put", "update", "patch",
        "Patch one {model}: merge the given fields",
    ),
    RouteKind(
        "delete", "DELETE", "item", "routeDelete", "api_delete", "delete", "delete",
        "Delete one {model}",
    ),
    RouteKind(
        "bulk_patch", "PATCH", "collection", None, None, "patch_many", "patch_many",
        "Patch every {model} the filter options select", opt_in=True,
    ),
    RouteKind(
        "bulk_delete", "DELETE", "collection", None, None, "delete_many", "delete_many",
        "Delete every {model} the filter options select", opt_in=True,
    ),
    RouteKind(
        "get", "GET", "forward", None, None, "forward", "get", "The {target} linked by {link}"
    ),
    RouteKind(
        "list", "GET", "reverse", None, "on_list_query", "reverse", "list",
        "The {target} documents whose {link} links to this {model}",
    ),
)  # fmt: skip

ROUTE_KEYS: tuple[str, ...] = tuple(r.key for r in ROUTES if r.key is not None)
METHODS: tuple[str, ...] = (*dict.fromkeys(r.method for r in ROUTES if not r.opt_in), "options")
OPT_IN_METHODS: tuple[str, ...] = tuple(r.method for r in ROUTES if r.opt_in)


def of_shape(shape: Shape) -> tuple[RouteKind, ...]:
    """The rows whose path has this shape, in table order."""
    return tuple(r for r in ROUTES if r.shape == shape)


def by_key(key: str) -> RouteKind:
    """The row configured by a schema-entry key (`routePatch`)."""
    for route in ROUTES:
        if route.key == key:
            return route
    raise KeyError(key)


# How the OpenAPI document describes each method's operation.
# method → (success status, the model's component role, headers)
SUCCESS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "list": ("200", "Page", ("Link",)),
    "get": ("200", "", ("ETag",)),
    "post": ("201", "", ("Location", "ETag")),
    "put": ("200", "", ("ETag",)),
    "patch": ("200", "", ("ETag",)),
    "delete": ("200", "", ()),
    "bulk_patch": ("200", "", ()),
    "bulk_delete": ("200", "", ()),
}
# methods whose answer is a fixed component rather than one of the model's
FIXED_ANSWERS = {"delete": "Deleted", "bulk_patch": "PatchedMany", "bulk_delete": "DeletedMany"}
_IF_MATCH = " `If-Match` makes it conditional (412 when the stored ETag differs)."
_SELECT = (
    " The documents are those that `filter`, `where` and `match` select (at least one is "
    "required); more than {most} of them is a 409 and nothing changes."
)
DESCRIPTIONS = {
    "list": "A page of {model} documents, filtered, sorted and projected by the list options. "
    "`next` and `prev` are cursors for the pages around it (also in the `Link` header).",
    "get": "One {model} by id; `If-None-Match` with its ETag answers 304.",
    "post": "Create a {model} from a JSON (or form) body; answers 201 with its `Location`. "
    "A JSON array of up to {most} documents creates them all, in order, answering "
    "`{{items}}`: every item is validated first, and a unique clash stops the batch with a "
    "409 that says what was written. `X-HTTP-Method: CoU` or `CoR` creates or updates "
    "(or replaces) the document with the body's `_id`: 201 when created, 200 when it existed.",
    "put": "Merge the given fields into the stored {model}; fields not given are kept." + _IF_MATCH,
    "patch": "Merge the given fields into the stored {model}; fields not given are kept."
    + _IF_MATCH,
    "delete": "Delete one {model}." + _IF_MATCH,
    "bulk_patch": "Set the body's fields on every selected {model}; each resulting document "
    "is validated first." + _SELECT,
    "bulk_delete": "Delete every selected {model}." + _SELECT,
}
