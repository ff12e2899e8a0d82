"""where, match and search over HTTP, on the lane's stand-in or server."""

from __future__ import annotations

import datetime
import json

import httpx
import pymongo
import pytest
from beanie import Document, Link
from pydantic import Field

from autoapi import store
from tests.backends import lacks, skip_gap
from tests.conftest import MakeClient, assert_problem


class Fruit(Document):
    name: str
    bananaCount: int = 0
    appleCount: int = 0
    note: str = Field("", exclude=True)

    class Settings:
        name = "fruits"
        indexes = [pymongo.IndexModel([("name", pymongo.TEXT)])]


class Plain(Document):
    name: str

    class Settings:
        name = "plains"


@pytest.fixture
async def fruit(make_client: MakeClient) -> httpx.AsyncClient:
    client = await make_client(models=[Fruit, Plain])
    for name, bananas, apples in [("Apple pie", 2, 12), ("apple tart", 5, 3),
                                  ("Banana bread", 2, 0), ("Cherry", 0, 20)]:
        await Fruit(name=name, bananaCount=bananas, appleCount=apples, note=name[0]).insert()
    return client


async def names(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get("/api/fruits", params={"sort": "name", **params})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_where_like_the_original_plugin(fruit: httpx.AsyncClient) -> None:
    assert await names(fruit, where='{"bananaCount": 2}') == ["Apple pie", "Banana bread"]
    assert await names(fruit, where='{"appleCount": {"$gt": 10}}') == ["Apple pie", "Cherry"]
    both = {"$and": [{"appleCount": {"$gt": 1}}, {"bananaCount": {"$lt": 5}}]}
    assert await names(fruit, where=json.dumps(both)) == ["Apple pie", "Cherry"]
    assert await names(fruit, where='{"name": {"$regex": "^A"}}') == ["Apple pie"]
    assert await names(fruit, where='{"name": {"$regex": "^a"}}') == ["apple tart"]
    assert await names(fruit, where='{"name": {"$regex": "^a", "$options": "i"}}') == [
        "Apple pie", "apple tart"]


async def test_where_total_counts_the_filtered_set(fruit: httpx.AsyncClient) -> None:
    response = await fruit.get("/api/fruits", params={"where": '{"bananaCount": 2}', "limit": 1})
    assert response.json()["total"] == 2 and len(response.json()["items"]) == 1


async def test_match_and_filter_combine(fruit: httpx.AsyncClient) -> None:
    assert await names(fruit, match="name=(?i)APPLE") == ["Apple pie", "apple tart"]
    assert await names(fruit, match=["name=(?i)apple"], filter="bananaCount=5") == ["apple tart"]


@pytest.mark.parametrize(
    ("where", "named"),
    [
        ('{"$where": "sleep(1000)"}', "$where"),
        ('{"name": {"$elemMatch": {"$gt": 1}}}', "$elemMatch"),
        ('{"$or": [{"name": {"$function": {}}}]}', "$function"),
        ('{"note": "A"}', "note"),  # hidden field: no oracle through counts
        ('{"name": ', "JSON"),
    ],
)
async def test_where_refusals_are_400(fruit: httpx.AsyncClient, where: str, named: str) -> None:
    body = assert_problem(await fruit.get("/api/fruits", params={"where": where}), 400, "where")
    assert named.lower() in body["detail"].lower()


async def test_search_without_text_index_is_400(fruit: httpx.AsyncClient) -> None:
    skip_gap("$text in aggregate")  # refused for that reason before the missing index is seen
    assert_problem(await fruit.get("/api/plains", params={"search": "x"}), 400, "search")


async def test_search_best_matches_first_or_clear_400(fruit: httpx.AsyncClient) -> None:
    skip_gap("$text in aggregate")
    response = await fruit.get("/api/fruits", params={"search": "apple"})
    if lacks("$text"):  # a database that cannot search: the answer says so
        body = assert_problem(response, 400, "search")
        assert "text search" in body["detail"]
        return
    assert response.status_code == 200, response.text
    assert {i["name"] for i in response.json()["items"]} == {"Apple pie", "apple tart"}
    assert response.json()["total"] == 2


async def test_time_budget_reaches_the_server_and_503_when_spent(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await make_client(models=[Fruit, Plain], max_time_ms=1234)
    await Fruit(name="x").insert()
    collection = type(store.collection(Fruit))
    seen: dict[str, object] = {}
    original = collection.count_documents

    def count_documents(self: object, filter_: object, *args: object, **kwargs: object) -> object:
        seen.update(kwargs)
        return original(self, filter_, *args, **kwargs)

    monkeypatch.setattr(collection, "count_documents", count_documents)
    assert (await client.get("/api/fruits")).status_code == 200
    budget = seen.get("maxTimeMS")
    assert isinstance(budget, int) and 1000 < budget <= 1234  # the time left of 1234 ms

    def spent(self: object, *args: object, **kwargs: object) -> object:
        raise pymongo.errors.ExecutionTimeout("operation exceeded time limit", 50)

    monkeypatch.setattr(collection, "count_documents", spent)
    response = await client.get("/api/fruits")
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"
    assert "did not answer in time" in response.json()["detail"]


class Basket(Document):
    label: str
    fruit: Link[Fruit] | None = None

    class Settings:
        name = "baskets"
        indexes = [pymongo.IndexModel([("label", pymongo.TEXT)])]


async def test_search_on_an_empty_reverse_route(make_client: MakeClient) -> None:
    skip_gap("$text in aggregate")
    client = await make_client(models=[Fruit, Basket])
    lonely = Fruit(name="Lonely")
    await lonely.insert()
    response = await client.get(f"/api/fruits/{lonely.id}/baskets", params={"search": "x"})
    assert response.status_code == 200, response.text
    assert response.json() == {"total": 0, "items": [], "next": None, "prev": None}


class Stamped(Document):
    """Stores its datetimes as text through its own `bson_encoders`."""

    label: str
    at: datetime.datetime

    class Settings:
        name = "stamped"
        bson_encoders = {datetime.datetime: lambda when: when.strftime("%Y-%m-%d %H:%M")}


async def test_a_filter_value_goes_through_the_models_bson_encoders(
    make_client: MakeClient,
) -> None:
    """The stored text is what a filter on the field must match: Beanie's encoding of it."""
    client = await make_client(models=[Stamped])
    await Stamped(label="a", at=datetime.datetime(2020, 1, 2, 3, 4)).insert()
    await Stamped(label="b", at=datetime.datetime(2021, 5, 6, 7, 8)).insert()
    response = await client.get("/api/stamped", params={"filter": "at=2020-01-02T03:04:00"})
    assert response.status_code == 200, response.text
    assert [item["label"] for item in response.json()["items"]] == ["a"]
    where = {"at": {"$gte": "2021-01-01T00:00:00"}}
    response = await client.get("/api/stamped", params={"where": json.dumps(where)})
    assert [item["label"] for item in response.json()["items"]] == ["b"]
