"""`metrics=True`: Prometheus text at <mount>/metrics, one registry per instance."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request
from starlette.responses import Response

from autoapi import AutoAPI
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS


def samples(text: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


async def test_metrics_parse_and_count(make_client: MakeClient) -> None:
    api = await make_client(metrics=True)
    author = (await api.post("/api/authors", json={"firstName": "A", "lastName": "B"})).json()
    for _ in range(3):
        await api.post("/api/books", json={"title": "t", "author": author["_id"]})
    await api.get("/api/books?populate=author")
    await api.get("/api/books/nope")
    response = await api.get("/api/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    requests = {
        (s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for s in found["autoapi_requests_total"]
    }
    assert requests[("/books", "POST", "201")] == 3
    assert requests[("/books/{id}", "GET", "404")] == 1
    assert all(s.labels["collection"] for s in found["autoapi_requests_total"])
    assert "autoapi_request_duration_seconds_bucket" in found
    trips = {
        s.labels["method"]: s.value
        for s in found["autoapi_request_database_calls_sum"]
        if s.labels["route"] == "/books"
    }
    assert trips["GET"] == 3  # find + count + one `$in` on authors
    fanout = [
        s.value
        for s in found["autoapi_populate_documents_sum"]
        if s.labels["route"] == "/books" and s.labels["method"] == "GET"
    ]
    assert fanout == [1.0]


async def test_metrics_guarded_by_check_auth(make_client: MakeClient) -> None:
    def check(request: Request) -> Response | None:
        if request.headers.get("X-Key") != "k":
            return Response(status_code=401)
        return None

    api = await make_client(metrics=True, check_auth=check)
    assert (await api.get("/api/metrics")).status_code == 401
    assert (await api.get("/api/metrics", headers={"X-Key": "k"})).status_code == 200


async def test_metrics_off_by_default_and_per_instance(make_client: MakeClient) -> None:
    api = await make_client()
    assert_problem(await api.get("/api/metrics"), 404)
    first, second = (
        AutoAPI(models=ALL_MODELS, metrics=True),
        AutoAPI(models=ALL_MODELS, metrics=True),
    )
    assert first.metrics is not None and second.metrics is not None
    assert first.metrics.registry is not second.metrics.registry
