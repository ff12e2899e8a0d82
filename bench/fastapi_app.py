"""The endpoints one would write with FastAPI and Beanie, as Beanie's own examples do.

Response models validate and serialize what each endpoint returns, the body of a create is
the `Book` model itself, path ids are `PydanticObjectId`s. Queries are those of the
hand-written Starlette endpoints (`bench.apps`): pages in `_id` order with a count beside
them, populate with one `In` query for the authors of a whole page.
"""

from __future__ import annotations

from typing import Any

from beanie import PydanticObjectId, SortDirection
from beanie.operators import In
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel

from bench.models import Author, Book


class BookPage(BaseModel):
    total: int
    items: list[Book]


router = APIRouter(prefix="/api/books")


@router.get("", response_model=BookPage)
async def list_books(offset: int = 0, limit: int = 100, populate: str | None = None) -> Any:
    by_id = Book.find({}).sort(("_id", SortDirection.ASCENDING))
    books = await by_id.skip(offset).limit(limit).to_list()
    total = await Book.find({}).count()
    if populate == "author":
        await fetch_authors(books)
    return BookPage(total=total, items=books)


async def fetch_authors(books: list[Book]) -> None:
    """Put each book's author in place of its link, fetched for the whole page in one query."""
    ids = list({book.author.ref.id for book in books if book.author is not None})
    by_id = {author.id: author for author in await Author.find(In(Author.id, ids)).to_list()}
    for book in books:
        if book.author is not None:
            book.author = by_id.get(book.author.ref.id)  # type: ignore[assignment]


@router.get("/{book_id}", response_model=Book)
async def get_book(book_id: PydanticObjectId) -> Any:
    book = await Book.get(book_id)
    if book is None:
        raise HTTPException(status_code=404, detail="not found")
    return book


@router.post("", response_model=Book, status_code=201)
async def create_book(book: Book, request: Request, response: Response) -> Any:
    await book.insert()
    response.headers["Location"] = f"{str(request.url).rstrip('/')}/{book.id}"
    return book


def fastapi_app(lifespan: Any = None) -> FastAPI:
    app = FastAPI(lifespan=lifespan)
    app.include_router(router)
    return app
