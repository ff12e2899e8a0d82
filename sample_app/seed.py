"""Demo data: publishers, authors and books with fixed ids, so README examples stay exact.

The ISBNs are made up (with valid check digits); they are not the real editions.
"""

from __future__ import annotations

import datetime

from beanie import PydanticObjectId

from sample_app.models import Author, Biography, Book, Publisher

START = datetime.datetime(2024, 3, 1, 9, 0, tzinfo=datetime.UTC)

PUBLISHERS = [
    # (number, name, country)
    (1, "Harbour Lights Press", "United Kingdom"),
    (2, "Northwind Books", "United States"),
    (3, "Meridian House", "Canada"),
]

AUTHORS = [
    # (number, first name, last name, born, description)
    (1, "Ursula K.", "Le Guin", 1929, "American novelist of Earthsea and the Hainish worlds."),
    (2, "Terry", "Pratchett", 1948, "English satirist, creator of the Discworld."),
    (3, "Neil", "Gaiman", 1960, "English writer of novels, comics and screenplays."),
    (4, "Octavia E.", "Butler", 1947, "American novelist of kinship, power and survival."),
    (5, "Iain M.", "Banks", 1954, "Scottish novelist of the Culture, a post-scarcity society."),
    (6, "Ted", "Chiang", 1967, "American writer of precise, idea-driven short fiction."),
    (7, "N. K.", "Jemisin", 1972, "American novelist of the Broken Earth trilogy."),
    (8, "Douglas", "Adams", 1952, "English humorist who hitchhiked across the galaxy."),
    (9, "Stephen", "Baxter", 1957, "English writer of hard science fiction."),
]

BOOKS = [
    # (number, title, isbn, author, coauthor, publisher)
    (1, "A Wizard of Earthsea", "9785260181591", 1, None, 2),
    (2, "The Left Hand of Darkness", "9780830166138", 1, None, 2),
    (3, "The Dispossessed", "9781860913907", 1, None, 3),
    (4, "Small Gods", "9789960308241", 2, None, 1),
    (5, "Guards! Guards!", "9786281948217", 2, None, 1),
    (6, "Good Omens", "9789935181909", 2, 3, 1),
    (7, "The Long Earth", "9789378657979", 2, 9, 1),
    (8, "American Gods", "9785432319487", 3, None, 2),
    (9, "Coraline", "9787574911864", 3, None, 3),
    (10, "Kindred", "9782527601892", 4, None, 2),
    (11, "Parable of the Sower", "9785559797113", 4, None, 2),
    (12, "Consider Phlebas", "9784710497466", 5, None, 1),
    (13, "The Player of Games", "9785075291706", 5, None, 1),
    (14, "Stories of Your Life and Others", "9783423667128", 6, None, 3),
    (15, "Exhalation", "9787684268469", 6, None, 3),
    (16, "The Fifth Season", "9785632122337", 7, None, 2),
    (17, "The Hitchhiker's Guide to the Galaxy", "9780792440260", 8, None, 1),
    (18, "Dirk Gently's Holistic Detective Agency", "9788599528907", 8, None, 1),
]

# Readable fixed ids: 0…01NN are publishers, 0…02NN authors, 0…03NN books.
_KINDS = {Publisher: 1, Author: 2, Book: 3}


def demo_id(model: type, number: int) -> PydanticObjectId:
    return PydanticObjectId(f"{_KINDS[model]}{number:02d}".rjust(24, "0"))


def _created(minutes: int) -> datetime.datetime:
    return START + datetime.timedelta(minutes=minutes)


def publishers() -> list[Publisher]:
    return [Publisher(id=demo_id(Publisher, n), name=name, country=country)
            for n, name, country in PUBLISHERS]


def authors() -> list[Author]:
    return [
        Author(id=demo_id(Author, n), firstName=first, lastName=last,
               biography=Biography(description=description, born=born), created=_created(n))
        for n, first, last, born, description in AUTHORS
    ]


def books() -> list[Book]:
    return [_book(*row) for row in BOOKS]


def _book(n: int, title: str, isbn: str, author: int, coauthor: int | None,
          publisher: int) -> Book:
    return Book(
        id=demo_id(Book, n),
        title=title,
        isbn=isbn,
        author=Author.link_from_id(demo_id(Author, author)),
        coauthor=Author.link_from_id(demo_id(Author, coauthor)) if coauthor else None,
        publisher=Publisher.link_from_id(demo_id(Publisher, publisher)),
        created=_created(60 + n),
    )


async def seed() -> bool:
    """Insert the demo data into empty collections; False when there was data already."""
    if await Book.find_all().count() or await Author.find_all().count():
        return False
    await Publisher.insert_many(publishers())
    await Author.insert_many(authors())
    await Book.insert_many(books())
    return True
