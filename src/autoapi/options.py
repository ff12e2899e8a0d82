"""The checks of `AutoAPI(...)`'s options: a wrong one fails when the API is built, with a
message naming the option, never later on a request."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from beanie import Document

from autoapi.introspect import collection_name
from autoapi.pages import COUNT_MODES, CountMode
from autoapi.routes import METHODS, OPT_IN_METHODS


def check_models(models: Sequence[type[Document]]) -> tuple[type[Document], ...]:
    if isinstance(models, (str, bytes)) or not isinstance(models, Iterable):
        raise TypeError("models must be a list of Beanie Document classes")
    out = tuple(models)
    for model in out:
        if not (isinstance(model, type) and issubclass(model, Document)):
            raise TypeError(f"{model!r} is not a Beanie Document class")
    if not out:
        raise TypeError("models must name at least one Beanie Document class")
    names: dict[str, type[Document]] = {}
    for model in out:
        other = names.setdefault(collection_name(model), model)
        if other is not model:
            raise ValueError(
                f"{other.__name__} and {model.__name__} both use the collection "
                f"{collection_name(model)!r}; one route path cannot serve both"
            )
    return out


def check_methods(methods: Iterable[str]) -> frozenset[str]:
    if isinstance(methods, str):
        raise TypeError("methods must be a list of method names, not a string")
    out = frozenset(methods)
    known = (*METHODS, *OPT_IN_METHODS)
    unknown = sorted(out - set(known))
    if unknown:
        raise ValueError(f"unknown method name(s) {unknown}; choose from {list(known)}")
    return out


def check_count(mode: str) -> CountMode:
    if mode not in COUNT_MODES:
        raise ValueError(f"count must be one of {list(COUNT_MODES)}, not {mode!r}")
    return mode  # type: ignore[return-value]


def check_limits(default_limit: int, max_limit: int) -> None:
    if not 1 <= default_limit <= max_limit:
        raise ValueError("need 1 <= default_limit <= max_limit")


def model_name_key(option: bool | str) -> str | None:
    if isinstance(option, str):
        if not option:
            raise ValueError("expose_model_name must be a non-empty string or a bool")
        return option
    return "__modelName" if option else None


def check_batch(max_batch: int) -> None:
    if max_batch < 1:
        raise ValueError("max_batch must be at least 1")
