"""Random request sequences from two tenants over every route: tenant A never sees B's data.

Each example runs on a fresh database (and, for the database strategy, fresh tenant
databases); ids of both tenants are fed to both, so every route is tried across tenants.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import httpx
from beanie import init_beanie
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI, tenant_policy
from tests.conftest import MONGODB_URL, RUN_DATABASE, new_client
from tests.tenant_models import TENANT_MODELS, Country
from tests.test_tenants import tenants_in

TENANTS = ("acme", "beta")
KINDS = ("users", "notes")
pick = st.integers(0, 40)
tenant = st.sampled_from(TENANTS)
operation = st.one_of(
    st.tuples(st.just("create"), tenant, st.sampled_from(KINDS), pick, st.lists(pick, max_size=3)),
    st.tuples(st.just("get"), tenant, st.sampled_from(KINDS), pick, st.booleans()),
    st.tuples(st.just("list"), tenant, st.sampled_from(KINDS), st.booleans()),
    st.tuples(st.just("forward"), tenant, pick, st.sampled_from(["author", "readers"])),
    st.tuples(st.just("reverse"), tenant, pick),
    st.tuples(st.just("patch"), tenant, st.sampled_from(KINDS), pick),
    st.tuples(st.just("delete"), tenant, st.sampled_from(KINDS), pick),
)


class World:
    """The API under test and who owns which id."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.owner: dict[str, str] = {}
        self.ids: dict[str, list[str]] = {kind: [] for kind in KINDS}

    def choose(self, kind: str, index: int) -> str:
        known = self.ids[kind]
        return known[index % len(known)] if known else "0" * 24

    async def run(self, op: tuple[Any, ...]) -> None:
        name, who = op[0], op[1]
        headers = {"X-Tenant-ID": who}
        response = await getattr(self, name)(headers, *op[2:])
        if response.content and response.headers["content-type"].endswith("json"):
            assert tenants_in(response.json()) <= {who}, (op, response.text)
        target = getattr(self, "last_target", None)
        if target is not None and self.owner.get(target, who) != who:
            assert response.status_code in (200, 404), (op, response.text)
            if name in ("get", "patch", "delete"):
                assert response.status_code == 404, (op, response.text)
        self.last_target = None

    async def create(self, headers: dict[str, str], kind: str, link: int, many: list[int]):
        if kind == "users":
            body: dict[str, Any] = {"email": f"{len(self.owner)}@x.org"}
        else:
            users = self.ids["users"]
            body = {
                "title": "t",
                "author": self.choose("users", link) if users else None,
                "readers": [self.choose("users", i) for i in many] if users else [],
            }
        response = await self.api.post(f"/api/{kind}", json=body, headers=headers)
        linked = [body.get("author"), *body.get("readers", [])]
        foreign = {self.owner.get(i) for i in linked if i} - {headers["X-Tenant-ID"]}
        if foreign:  # another tenant's user does not exist for this tenant: nothing written
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "missing_link"
            return response
        assert response.status_code == 201, response.text
        ident = response.json()["_id"]
        self.owner[ident] = headers["X-Tenant-ID"]
        self.ids[kind].append(ident)
        return response

    async def get(self, headers: dict[str, str], kind: str, index: int, populate: bool):
        self.last_target = ident = self.choose(kind, index)
        query = "?populate=author,readers" if populate and kind == "notes" else ""
        return await self.api.get(f"/api/{kind}/{ident}{query}", headers=headers)

    async def list(self, headers: dict[str, str], kind: str, populate: bool):
        query = "?populate=author,readers" if populate and kind == "notes" else ""
        return await self.api.get(f"/api/{kind}{query}", headers=headers)

    async def forward(self, headers: dict[str, str], index: int, link: str):
        self.last_target = ident = self.choose("notes", index)
        return await self.api.get(f"/api/notes/{ident}/{link}", headers=headers)

    async def reverse(self, headers: dict[str, str], index: int):
        self.last_target = ident = self.choose("users", index)
        return await self.api.get(f"/api/users/{ident}/notes?populate=author", headers=headers)

    async def patch(self, headers: dict[str, str], kind: str, index: int):
        self.last_target = ident = self.choose(kind, index)
        body = {"name": "p"} if kind == "users" else {"pages": 2}
        return await self.api.patch(f"/api/{kind}/{ident}", json=body, headers=headers)

    async def delete(self, headers: dict[str, str], kind: str, index: int):
        self.last_target = ident = self.choose(kind, index)
        response = await self.api.delete(f"/api/{kind}/{ident}", headers=headers)
        if response.status_code == 200:
            self.ids[kind].remove(ident)
        return response


async def play(ops: list[tuple[Any, ...]], by_database: bool) -> int:
    """Run `ops` (each checked by `World.run`); how many ran."""
    client = new_client()
    name = f"{RUN_DATABASE}_fz"
    db = client[name]
    placed = (lambda t: f"{name}_{t}") if by_database else None
    try:
        await init_beanie(database=db, document_models=TENANT_MODELS)
        api = AutoAPI(models=TENANT_MODELS, policy=tenant_policy(shared=[Country], database=placed))
        app = Starlette(routes=[Mount("/api", app=api)])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            world = World(http)
            for op in ops:
                await world.run(op)
            return len(ops)
    finally:
        for dropped in (name, f"{name}_acme", f"{name}_beta"):
            await client.drop_database(dropped)
        if MONGODB_URL:
            closed = client.close()
            if inspect.isawaitable(closed):
                await closed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=30), by_database=st.booleans())
def test_no_response_to_a_tenant_carries_another_tenants_document(
    ops: list[tuple[Any, ...]], by_database: bool
) -> None:
    assert asyncio.run(play(ops, by_database)) == len(ops)
