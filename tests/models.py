"""Models shared by the HTTP tests."""

from __future__ import annotations

import datetime
from typing import Any

from beanie import Document, Indexed, Link
from pydantic import BaseModel, Field


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Publisher(Document):
    name: str
    country: str = ""

    class Settings:
        name = "publishers"


class Biography(BaseModel):
    description: str = ""
    born: int | None = None


class Author(Document):
    firstName: str
    lastName: str
    biography: Biography = Field(default_factory=Biography)
    birthday: datetime.date | None = None
    created: datetime.datetime = Field(default_factory=_now)
    secret: str = Field("hidden", exclude=True)
    meta: dict[str, Any] = Field(default_factory=dict)
    publisher: Link[Publisher] | None = None
    inspired: list[Link[Book]] = Field(default_factory=list)  # defined below: a forward ref

    class Settings:
        name = "authors"


class Book(Document):
    title: str
    isbn: str = ""
    isGood: bool = False
    pages: int = 0
    price: float = 0.0
    tags: list[str] = Field(default_factory=list)
    author: Link[Author] | None = None
    coauthor: Link[Author] | None = None
    created: datetime.datetime = Field(default_factory=_now)

    class Settings:
        name = "books"


class Thing(Document):
    """A model whose ids are chosen by the client."""

    id: str  # type: ignore[assignment]
    label: str = ""

    class Settings:
        name = "things"


class Versioned(Document):
    name: str

    class Settings:
        name = "versioned"
        use_revision = True


class Account(Document):
    email: Indexed(str, unique=True)  # type: ignore[valid-type]
    name: str = ""

    class Settings:
        name = "accounts"


ALL_MODELS: list[type[Document]] = [Publisher, Author, Book, Thing, Versioned, Account]
