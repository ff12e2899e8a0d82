"""Rendering documents for a response: hooks, the model-name key, projections, populate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from beanie import Document
from starlette.requests import Request

from autoapi.hooks import Hooks, call
from autoapi.introspect import ModelSpec
from autoapi.populate import Loaded, load_links
from autoapi.serialize import project_output, render_stored

Raw = Mapping[str, Any]


class Renderer:
    """Turns stored documents into response dicts, per model, with the `AutoAPI` options."""

    def __init__(
        self,
        specs: Mapping[type[Document], ModelSpec],
        hooks: Mapping[type[Document], Hooks],
        version_key: bool,
        model_name_key: str | None,
        max_time_ms: int | None = None,
    ) -> None:
        self.specs = specs
        self.hooks = hooks
        self.version_key = version_key
        self.model_name_key = model_name_key
        self.max_time_ms = max_time_ms

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
        self, spec: ModelSpec, raw: Raw, request: Request, populate: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Render one document, populating the given link paths."""
        return (await self.render_many(spec, [raw], request, populate))[0]

    async def render_many(
        self,
        spec: ModelSpec,
        raws: Sequence[Raw],
        request: Request,
        populate: Sequence[str] = (),
        projection: Mapping[str, int] | None = None,
    ) -> list[dict[str, Any]]:
        """Render a page of documents; populate costs one query per path, not per document."""
        loaded = await load_links(self.specs, spec, raws, populate, self.max_time_ms)
        out = []
        for raw in raws:
            doc = await self._render_tree(spec, raw, request, loaded, "")
            if projection and self.custom_values(spec):
                doc = project_output(doc, projection)
            out.append(doc)
        return out

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
        if isinstance(value, list):
            return [await self._render_link(v, target, request, loaded, path) for v in value]
        found = loaded[path].get(getattr(value, "id", value))
        if found is None:
            return None
        return await self._render_tree(self.specs[target], found, request, loaded, path + ".")

    async def _render_one(self, spec: ModelSpec, raw: Raw, request: Request) -> dict[str, Any]:
        if self.custom_values(spec):
            instance = spec.model.model_validate(raw)
            doc = dict(await call(self.hooks[spec.model].api_values, instance, request))
        else:
            doc = render_stored(spec, raw, self.version_key)
        if self.model_name_key:
            doc[self.model_name_key] = spec.name
        return doc
