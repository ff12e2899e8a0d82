"""The sample app's models."""

from __future__ import annotations

import datetime

from beanie import Document, Link
from pydantic import Field


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Author(Document):
    firstName: str
    lastName: str
    biography: str = ""
    created: datetime.datetime = Field(default_factory=_now)

    class Settings:
        name = "authors"


class Book(Document):
    title: str
    isbn: str = ""
    author: Link[Author] | None = None
    created: datetime.datetime = Field(default_factory=_now)

    class Settings:
        name = "books"


MODELS: list[type[Document]] = [Author, Book]
