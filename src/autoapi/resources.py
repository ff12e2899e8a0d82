"""The routes each registered model gets: its collection path, the forward route of each
visible link field, and the reverse routes of the links that point at it."""

from __future__ import annotations

from dataclasses import dataclass, field

from beanie import Document

from autoapi.introspect import LinkSpec, ModelSpec


@dataclass(frozen=True)
class ForwardRef:
    """`GET /<collection>/{id}/<name>`: the document(s) a link field points at."""

    name: str
    link: LinkSpec


@dataclass(frozen=True)
class ReverseRef:
    """`GET /<target>/{id}/<name>`: documents of `child` whose link `link` points here."""

    name: str
    child: type[Document]
    link: LinkSpec


@dataclass(frozen=True)
class Resource:
    """The routes generated for one model (the value type of `AutoAPI.resources`)."""

    path: str
    spec: ModelSpec
    forward: tuple[ForwardRef, ...] = ()
    reverse: tuple[ReverseRef, ...] = field(default=())

    @property
    def model(self) -> type[Document]:
        return self.spec.model


def build_resources(specs: list[ModelSpec]) -> dict[str, Resource]:
    """Name every forward and reverse reference route (forward by field, reverse by collection).

    Only links between the given (registered) models make reverse routes; a link hidden
    with `Field(exclude=True)` makes no route in either direction.
    """
    resources: dict[str, Resource] = {}
    for spec in specs:
        forward = tuple(ForwardRef(link.key, link) for link in visible_links(spec))
        resources[spec.collection] = Resource(f"/{spec.collection}", spec, forward)
    for target in specs:
        reverse = _reverse_refs(target, specs)
        res = resources[target.collection]
        resources[target.collection] = Resource(res.path, res.spec, res.forward, reverse)
    return resources


def visible_links(spec: ModelSpec) -> list[LinkSpec]:
    """The link fields of a model that are rendered (not `Field(exclude=True)`)."""
    return [link for key, link in spec.links.items() if not spec.fields[key].hidden]


def _reverse_refs(target: ModelSpec, specs: list[ModelSpec]) -> tuple[ReverseRef, ...]:
    """`<child collection>` for a child's first link here, `<child>_as_<field>` for the others
    and for a name a forward route of `target` already takes."""
    taken = {link.key for link in visible_links(target)}
    out: list[ReverseRef] = []
    for child in specs:
        links = [link for link in visible_links(child) if link.target is target.model]
        for i, link in enumerate(links):
            name = child.collection
            if i > 0 or name in taken:
                name = f"{child.collection}_as_{link.key}"
            if name in taken:
                raise ValueError(
                    f"{target.collection}/{{id}}/{name}: two reference routes "
                    f"would share this path ({child.name}.{link.key})"
                )
            taken.add(name)
            out.append(ReverseRef(name, child.model, link))
    return tuple(out)
