"""The two models every benchmark serves: books that link to their author."""

from __future__ import annotations

import datetime

from beanie import Document, Link
from pydantic import Field


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Author(Document):
    name: str
    email: str = ""
    born: datetime.date | None = None
    biography: str = ""
    created: datetime.datetime = Field(default_factory=_now)

    class Settings:
        name = "authors"


class Book(Document):
    title: str
    isbn: str = ""
    pages: int = 0
    price: float = 0.0
    isGood: bool = False
    tags: list[str] = Field(default_factory=list)
    author: Link[Author] | None = None
    created: datetime.datetime = Field(default_factory=_now)

    class Settings:
        name = "books"


MODELS: list[type[Document]] = [Author, Book]
