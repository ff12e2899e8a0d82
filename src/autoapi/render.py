"""Rendering documents for a response: hooks, the model-name key, projections, populate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from beanie import Document
from starlette.requests import Request

from autoapi.hooks import Hooks, call
from autoapi.introspect import ModelSpec
from autoapi.policy import shown, shows_all
from autoapi.populate import Loaded, hashable, link_ids, load_links, ref_id, target_spec
from autoapi.projection import project_output
from autoapi.serialize import render_deferred, render_page, render_stored
from autoapi.writes import instance_of

Raw = Mapping[str, Any]


class Renderer:
    """Turns stored documents into response dicts, per model, with the `AutoAPI` options."""

    def __init__(
        self,
        specs: Mapping[type[Document], ModelSpec],
        hooks: Mapping[type[Document], Hooks],
        version_key: bool,
        model_name_key: str | None,
    ) -> None:
        self.specs = specs
        self.hooks = hooks
        self.version_key = version_key
        self.model_name_key = model_name_key

    def custom_values(self, spec: ModelSpec) -> bool:
        """True when the model has its own `api_values` (it then needs whole documents)."""
        return "api_values" in self.hooks[spec.model].custom

    def db_projection(self, spec: ModelSpec, projection: dict[str, int] | None) -> Any:
        """The projection to send to MongoDB: none when a hook must see whole documents."""
        return None if self.custom_values(spec) else projection

    def render_stored(self, model: type[Document], raw: Raw) -> dict[str, Any]:
        """The default `api_values` of a stored document."""
        return render_stored(self.specs[model], raw, self.version_key)

    async def render(
        self,
        spec: ModelSpec,
        raw: Raw,
        request: Request,
        populate: Sequence[str] = (),
        projection: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Render one stored document (whole, as read), populating the given link paths and
        keeping the fields of `projection` (`fields`), as a list's documents keep them."""
        if not populate and not projection and self._bare(spec, request):
            return render_deferred(spec, raw, self.version_key)  # most reads: one call
        return (await self.render_whole(spec, [raw], request, populate, projection))[0]

    def _bare(self, spec: ModelSpec, request: Request) -> bool:
        """True when a document renders as its stored fields alone: no `api_values` of its
        own, no model-name key, every field readable."""
        plain = not self.custom_values(spec) and not self.model_name_key
        return plain and shows_all(request, spec.model)

    async def render_whole(
        self,
        spec: ModelSpec,
        raws: Sequence[Raw],
        request: Request,
        populate: Sequence[str] = (),
        projection: Mapping[str, int] | None = None,
    ) -> list[dict[str, Any]]:
        """`render` of several whole documents; populate costs one query per path."""
        docs = await self.render_many(spec, raws, request, populate, projection)
        if not projection:
            return docs
        return [self._projected(doc, projection) for doc in docs]

    def _projected(self, doc: dict[str, Any], projection: Mapping[str, int]) -> dict[str, Any]:
        out = project_output(doc, projection)
        if self.model_name_key and self.model_name_key in doc:
            out[self.model_name_key] = doc[self.model_name_key]
        return out

    async def render_many(
        self,
        spec: ModelSpec,
        raws: Sequence[Raw],
        request: Request,
        populate: Sequence[str] = (),
        projection: Mapping[str, int] | None = None,
    ) -> list[dict[str, Any]]:
        """Render a page of documents; populate costs one query per path, not per document.

        A link that `projection` leaves out is not populated: `fields` wins over `populate`.
        """
        populate = populated_within(populate, projection)
        loaded = await load_links(self.specs, spec, raws, populate) if populate else {}
        if self._plain(spec, populate):  # no hook to await: render without a coroutine each
            if not loaded and self._bare(spec, request):
                return render_page(spec, raws, self.version_key)
            return self._plain_docs(spec, raws, request, loaded, "")
        out = []
        for raw in raws:
            doc = await self._render_tree(spec, raw, request, loaded, "")
            if projection and self.custom_values(spec):
                doc = project_output(doc, projection)
            out.append(doc)
        return out

    async def render_linked(
        self,
        spec: ModelSpec,
        raw: Raw,
        key: str,
        request: Request,
        populate: Sequence[str] = (),
        stored: list[Raw] | None = None,
    ) -> list[dict[str, Any] | None]:
        """The documents the link `key` of `raw` points at, in link order; None for a missing one.

        `populate` is relative to the link's target model (`publisher` for `author`). The
        stored targets found are appended to `stored` when given (their ETags need them).
        """
        paths = (key, *(f"{key}.{path}" for path in populate))
        loaded = await load_links(self.specs, spec, [raw], paths)
        target = spec.links[key].target
        if stored is not None:
            found = loaded.get(key, {})
            stored += [found[i] for i in link_ids(raw.get(key)) if hashable(i) and i in found]
        return [
            await self._render_target(ident, target, request, loaded, key)
            for ident in link_ids(raw.get(key))
        ]

    async def _render_tree(
        self, spec: ModelSpec, raw: Raw, request: Request, loaded: Loaded, prefix: str
    ) -> dict[str, Any]:
        doc = await self._render_one(spec, raw, request)
        for key, link in spec.links.items():
            path = prefix + key
            if path not in loaded or key not in doc or key not in raw:
                continue
            doc[key] = await self._render_link(raw[key], link.target, request, loaded, path)
        return doc

    async def _render_link(
        self, value: Any, target: type[Document], request: Request, loaded: Loaded, path: str
    ) -> Any:
        """A populated link value: a list keeps its order, a missing target renders as None."""
        if isinstance(value, list):
            return [await self._render_link(v, target, request, loaded, path) for v in value]
        return await self._render_target(ref_id(value), target, request, loaded, path)

    async def _render_target(
        self, ident: Any, target: type[Document], request: Request, loaded: Loaded, path: str
    ) -> dict[str, Any] | None:
        try:
            found = loaded[path].get(ident)
        except TypeError:  # an unhashable value stored where a link belongs
            return None
        if found is None:
            return None
        return await self._render_tree(self.specs[target], found, request, loaded, path + ".")

    async def _render_one(self, spec: ModelSpec, raw: Raw, request: Request) -> dict[str, Any]:
        if self.custom_values(spec):
            instance = instance_of(spec, raw)
            doc = dict(await call(self.hooks[spec.model].api_values, instance, request))
        else:
            doc = render_deferred(spec, raw, self.version_key)
        if self.model_name_key:
            doc[self.model_name_key] = spec.name
        return shown(request, spec.model, doc)

    def _plain(self, spec: ModelSpec, paths: Sequence[str]) -> bool:
        """True when neither the model nor a populated one has its own `api_values`."""
        targets = (target_spec(self.specs, spec, path) for path in paths)
        return not self.custom_values(spec) and not any(map(self.custom_values, targets))

    def _plain_docs(
        self, spec: ModelSpec, raws: Sequence[Raw], request: Request, loaded: Loaded, prefix: str
    ) -> list[dict[str, Any]]:
        """`_render_tree` of a page of `_plain` documents, their ids and dates left for
        `JSONResponse`: each linked document is rendered once, however many link to it (the
        answer holds it once per link; nothing later changes a rendered document in place).
        The request's `read_fields` apply as on the other path."""
        docs = render_page(spec, raws, self.version_key)
        for key, link in spec.links.items() if loaded else ():
            path = prefix + key
            if path not in loaded:
                continue
            found = loaded[path]
            targets = self._plain_docs(
                self.specs[link.target], list(found.values()), request, loaded, path + "."
            )
            rendered = dict(zip(found, targets, strict=True))
            for i, (doc, raw) in enumerate(zip(docs, raws, strict=True)):
                if key in doc and key in raw:
                    value = raw[key]
                    if doc is raw:  # the page took the stored document over: write a copy
                        doc = docs[i] = dict(raw)
                    doc[key] = _linked(value, rendered)
        if self.model_name_key:
            docs = [{**doc, self.model_name_key: spec.name} for doc in docs]
        if shows_all(request, spec.model):
            return docs
        return [shown(request, spec.model, doc) for doc in docs]


def _linked(value: Any, rendered: Mapping[Any, dict[str, Any]]) -> Any:
    """A populated link value: a list keeps its order, a missing target is None."""
    if isinstance(value, list):
        return [_linked(v, rendered) for v in value]
    try:
        return rendered.get(ref_id(value))
    except TypeError:  # an unhashable value stored where a link belongs
        return None


def populated_within(paths: Sequence[str], projection: Mapping[str, int] | None) -> tuple[str, ...]:
    """The populate paths whose link field the `fields` projection keeps."""
    if not projection:
        return tuple(paths)
    others = [v for k, v in projection.items() if k != "_id"]
    include = any(others) or (not others and projection.get("_id") == 1)  # `fields=_id`

    def kept(root: str) -> bool:
        return projection.get(root) == 1 if include else projection.get(root, 1) != 0

    return tuple(path for path in paths if kept(path.split(".")[0]))
