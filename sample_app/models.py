"""The sample app's models: publishers, authors and the books that link them."""

from __future__ import annotations

import datetime

from beanie import Document, Link
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from pymongo import TEXT, IndexModel


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def isbn13_is_valid(digits: str) -> bool:
    """13 digits whose weighted sum (1, 3, 1, 3, ...) is a multiple of 10."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


class Publisher(Document):
    name: str = Field(min_length=1, max_length=120)
    country: str = ""

    class Settings:
        name = "publishers"


class Biography(BaseModel):
    description: str = ""
    born: int | None = Field(None, ge=1000, le=2100)


class Author(Document):
    firstName: str = Field(min_length=1, max_length=80)
    lastName: str = Field(min_length=1, max_length=80)
    biography: Biography = Field(default_factory=Biography)
    created: datetime.datetime = Field(default_factory=_now)

    class Settings:
        name = "authors"
        indexes = [
            IndexModel(
                [("firstName", TEXT), ("lastName", TEXT), ("biography.description", TEXT)],
                name="authors_text",
            ),
        ]


class Book(Document):
    title: str = Field(min_length=1, max_length=200)
    isbn: str = ""
    author: Link[Author] | None = None
    coauthor: Link[Author] | None = None
    publisher: Link[Publisher] | None = None
    created: datetime.datetime = Field(default_factory=_now)

    class Settings:
        name = "books"

    @field_validator("isbn")
    @classmethod
    def _isbn13(cls, value: str) -> str:
        # Readers type ISBNs with hyphens or spaces; store the bare digits.
        digits = value.replace("-", "").replace(" ", "")
        if digits and not isbn13_is_valid(digits):
            raise PydanticCustomError("isbn13", "an ISBN-13 has 13 digits and a valid check digit")
        return digits


MODELS: list[type[Document]] = [Publisher, Author, Book]
