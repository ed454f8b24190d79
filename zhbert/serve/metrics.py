"""The server's Prometheus metrics, on a registry of its own (``GET /metrics``), and the middleware that counts
every request by route and status."""

from __future__ import annotations

import json
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from .limits import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Metrics", "MetricsMiddleware"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    """Requests by route and status, latency by route, texts per predict call and its time by model, errors by
    route and code, and requests waiting or running per model."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "zhbert_requests", "HTTP requests answered", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "zhbert_request_seconds", "time to answer a request", ["route"], buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )  # fmt: skip
        self.errors = Counter(
            "zhbert_errors", "answers other than 200, by code", ["route", "code"], registry=self.registry
        )
        self.batch_size = Histogram(
            "zhbert_batch_size", "texts per predict call", ["model"], buckets=BATCH_BUCKETS, registry=self.registry
        )
        self.batch_seconds = Histogram(
            "zhbert_batch_seconds", "time of one predict call", ["model"], buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "zhbert_queue_depth", "requests waiting or running, per model", ["model"], registry=self.registry
        )


class MetricsMiddleware:
    """Counts each request under its route (paths that are no route count as ``other``), its status and time."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: frozenset[str]) -> None:
        self.app, self.metrics, self.routes = app, metrics, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"] if scope["path"] in self.routes else "other"
        status: dict[str, Any] = {"code": 500}
        start = time.perf_counter()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif status["code"] >= 400 and message.get("body"):
                self.metrics.errors.labels(route, _error_code(message["body"], status["code"])).inc()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.requests.labels(route, str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)


def _error_code(body: bytes, status: int) -> str:
    """The ``code`` of an error body (every error the server writes has one), else the status."""
    try:
        return str(json.loads(body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return str(status)
