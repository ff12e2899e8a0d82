from __future__ import annotations

from tests.conftest import MakeClient


async def test_create_then_list(make_client: MakeClient) -> None:
    client = await make_client()
    created = await client.post("/api/authors", json={"firstName": "Jay", "lastName": "Kay"})
    assert created.status_code == 201, created.text
    listed = await client.get("/api/authors")
    assert listed.json()["total"] == 1
    assert listed.json()["items"][0]["firstName"] == "Jay"
