"""Prometheus metrics of one `AutoAPI` (``metrics=True``), served at ``<mount>/metrics``.

Each instance has its own registry, so several APIs in one process (or many in a test run)
never share or clash. Counted per request: the answer (collection, route, method, status),
the latency, the database calls the request made and the documents its populate loaded.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from autoapi.roundtrips import per_request

Handler = Callable[[Request], Awaitable[Response]]

TRIP_BUCKETS = (0, 1, 2, 3, 4, 6, 8, 12, 16, 32, 64)
FANOUT_BUCKETS = (0, 1, 5, 10, 50, 100, 500, 1000, 5000)


class Metrics:
    """The collectors of one `AutoAPI`, and the `/metrics` endpoint."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("collection", "route", "method")
        self.requests = Counter(
            "autoapi_requests",
            "Requests answered, by collection, route, method and status.",
            (*labels, "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "autoapi_request_duration_seconds",
            "Time from routing to the response, in seconds.",
            labels,
            registry=self.registry,
        )
        self.round_trips = Histogram(
            "autoapi_request_database_calls",
            "Database calls (round trips) made by one request.",
            labels,
            buckets=TRIP_BUCKETS,
            registry=self.registry,
        )
        self.fanout = Histogram(
            "autoapi_populate_documents",
            "Linked documents loaded by populate in one request.",
            labels,
            buckets=FANOUT_BUCKETS,
            registry=self.registry,
        )

    def instrument(self, endpoint: Handler, collection: str, route: str) -> Handler:
        """Wrap a route's endpoint so that each of its requests is counted."""

        async def counted(request: Request) -> Response:
            start = time.perf_counter()
            with per_request() as tally:
                response = await endpoint(request)
            labels = (collection, route, request.method)
            self.requests.labels(*labels, str(response.status_code)).inc()
            self.latency.labels(*labels).observe(time.perf_counter() - start)
            self.round_trips.labels(*labels).observe(tally.trips)
            self.fanout.labels(*labels).observe(tally.populated)
            return response

        return counted

    def exposition(self) -> Response:
        """The current values in Prometheus' text format."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
