"""Models of the tenant tests: two tenant-scoped models linked both ways, one shared, one
without the tenant field."""

from __future__ import annotations

from typing import Annotated

from beanie import Document, Indexed, Link

from autoapi.introspect import Hidden


class Country(Document):
    """Shared by every tenant: readable by all, writable by none."""

    name: str

    class Settings:
        name = "countries"


class User(Document):
    tenant: str
    email: Indexed(str, unique=True)  # type: ignore[valid-type]
    name: str = ""
    country: Link[Country] | None = None
    password: Annotated[str, Hidden] = ""

    class Settings:
        name = "users"


class Note(Document):
    tenant: str
    title: str
    pages: int = 0
    author: Link[User] | None = None
    readers: list[Link[User]] = []

    class Settings:
        name = "notes"


class Loose(Document):
    """No tenant field: denied by the field strategy, placed by the database strategy."""

    label: str = ""

    class Settings:
        name = "loose"


TENANT_MODELS: list[type[Document]] = [Country, User, Note, Loose]
