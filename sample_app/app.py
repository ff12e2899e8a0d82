"""The sample Starlette app: autoapi mounted at /api over an in-memory or real MongoDB."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from beanie import init_beanie
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI
from sample_app.models import MODELS, Author, Book


def database_client() -> Any:
    """A real MongoDB client when MONGODB_URL is set, else an in-memory one."""
    url = os.environ.get("MONGODB_URL")
    if url:
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient(url)
    from mongomock_motor import AsyncMongoMockClient

    return AsyncMongoMockClient()


async def seed() -> None:
    """Demo data for the in-memory database."""
    ursula = Author(firstName="Ursula", lastName="Le Guin", biography="Wrote Earthsea.")
    terry = Author(firstName="Terry", lastName="Pratchett", biography="Wrote Discworld.")
    for author in (ursula, terry):
        await author.insert()
    books = [("A Wizard of Earthsea", "9780553383041", ursula),
             ("The Dispossessed", "9780061054884", ursula),
             ("Small Gods", "9780552152976", terry)]
    for title, isbn, author in books:
        await Book(title=title, isbn=isbn, author=author).insert()


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    client = database_client()
    database = client[os.environ.get("MONGODB_DB", "autoapi_sample")]
    await init_beanie(database=database, document_models=MODELS)
    if not os.environ.get("MONGODB_URL"):
        await seed()
    yield


api = AutoAPI(models=MODELS)
app = Starlette(routes=[Mount("/api", app=api)], lifespan=lifespan)
