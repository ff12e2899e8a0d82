"""The endpoints one would write with FastAPI and Beanie, as Beanie's own examples do.

Response models validate and serialize what each endpoint returns, the body of a create is
the `Book` model itself, path ids are `PydanticObjectId`s. Queries are those of the
hand-written Starlette endpoints (`bench.apps`): pages in `_id` order with a count beside
them, populate with one `In` query for the authors of a whole page.

Beanie's `insert()` stores whatever link it is given. `link_check=True` gives the create the
check autoapi's creates make (a link to an author that does not exist is refused with 422),
written as a Beanie user writes it: `Author.get` before the insert.
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


async def get_book(book_id: PydanticObjectId) -> Any:
    book = await Book.get(book_id)
    if book is None:
        raise HTTPException(status_code=404, detail="not found")
    return book


async def create_book(book: Book, request: Request, response: Response) -> Any:
    await book.insert()
    response.headers["Location"] = f"{str(request.url).rstrip('/')}/{book.id}"
    return book


async def create_checked_book(book: Book, request: Request, response: Response) -> Any:
    if book.author is not None and await Author.get(book.author.ref.id) is None:
        raise HTTPException(status_code=422, detail="author: no such author")
    return await create_book(book, request, response)


def fastapi_app(lifespan: Any = None, *, link_check: bool = False) -> FastAPI:
    router = APIRouter(prefix="/api/books")
    router.add_api_route("", list_books, methods=["GET"], response_model=BookPage)
    router.add_api_route("/{book_id}", get_book, methods=["GET"], response_model=Book)
    create = create_checked_book if link_check else create_book
    router.add_api_route("", create, methods=["POST"], response_model=Book, status_code=201)
    app = FastAPI(lifespan=lifespan)
    app.include_router(router)
    return app
