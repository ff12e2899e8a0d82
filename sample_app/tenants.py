"""Tenant mode (`TENANT_HEADER=X-Tenant-ID`): two demo tenants, each with its own database.

Each tenant's authors and books live in a database of their own, named after the main one
(`autoapi_sample_acme`); publishers stay in the main database, shared and read-only. The
models are the same as in the default mode: no tenant field, so the default mode's data,
schemas and answers do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from beanie import Document

from autoapi import store, tenant_policy
from autoapi.tenants import TenantPolicy
from sample_app.models import Author, Book, Publisher
from sample_app.seed import authors, books

# Which demo authors (by number) each tenant has; a tenant's books are those of its authors.
TENANT_AUTHORS: Mapping[str, frozenset[int]] = {
    "acme": frozenset({1, 2, 3, 9}),
    "globex": frozenset({4, 5, 6, 7, 8}),
}
TENANTS = tuple(TENANT_AUTHORS)


def database_namer(main_database: str) -> Callable[[str], str]:
    """The tenant → database-name function for a main database."""
    return lambda tenant: f"{main_database}_{tenant}"


def policy(header: str, main_database: str) -> TenantPolicy:
    """The sample app's policy in tenant mode: known tenants only, publishers shared."""
    return tenant_policy(
        header=header,
        shared=[Publisher],
        database=database_namer(main_database),
        tenants=lambda tenant: tenant in TENANT_AUTHORS,
    )


def tenant_documents(tenant: str) -> list[tuple[type[Document], list[Document]]]:
    """The demo authors and books of `tenant` (the demo ids, so links between them hold)."""
    numbers = TENANT_AUTHORS[tenant]
    own = [a for a in authors() if _number(a.id) in numbers]
    ids = {a.id for a in own}
    own_books = [b for b in books() if b.author is not None and b.author.ref.id in ids]
    return [(Author, list(own)), (Book, list(own_books))]


async def seed_tenants(client: Any, main_database: str) -> list[str]:
    """Seed each tenant's empty database with its demo data; the tenants that were seeded."""
    name_of = database_namer(main_database)
    seeded: list[str] = []
    for tenant in TENANTS:
        database = client[name_of(tenant)]
        if await database[Book.get_collection_name()].count_documents({}):
            continue
        for model, docs in tenant_documents(tenant):
            raws = [store.encode_document(doc) for doc in docs]
            await database[model.get_collection_name()].insert_many(raws)
        seeded.append(tenant)
    return seeded


def _number(ident: Any) -> int:
    return int(str(ident)[-2:])
