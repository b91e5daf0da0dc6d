"""Prometheus metrics of one server, in a registry of its own (two apps in one test process never collide)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 100.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    """Requests, errors, latency, batch sizes, queue depth, the model version, webhook events, retrains."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("nerloop_requests", "HTTP requests answered.", ["route", "status"], registry=r)
        self.errors = Counter(
            "nerloop_request_errors", "Requests answered with 4xx or 5xx.", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "nerloop_request_seconds", "Time from request to response.", ["route"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.queries = Counter("nerloop_queries", "Queries tagged (API and Label Studio tasks).", registry=r)
        self.batch_size = Histogram("nerloop_batch_size", "Queries per model call.", buckets=BATCH_BUCKETS, registry=r)
        self.batch_seconds = Histogram(
            "nerloop_batch_seconds",
            "Time per model call (tagging, resolving, output).",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge("nerloop_queue_depth", "Queries waiting for a batch worker.", registry=r)
        self.model = Gauge("nerloop_model_info", "The model being served (value 1).", ["version"], registry=r)
        self.swaps = Counter("nerloop_model_swaps", "Models loaded and switched to while serving.", registry=r)
        self.load_failures = Counter("nerloop_model_load_failures", "Champions that failed to load.", registry=r)
        self.overloaded = Counter("nerloop_overloaded", "Requests refused with 503 (queue full).", registry=r)
        self.webhooks = Counter(
            "nerloop_webhook_events", "Label Studio webhook events received.", ["action"], registry=r
        )
        self.retrains = Counter(
            "nerloop_retrain_requests", "Retrain requests and what came of them.", ["outcome"], registry=r
        )

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        if status >= 400:
            self.errors.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def observe_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)
        self.queries.inc(size)

    def set_model(self, version: str) -> None:
        self.model.clear()
        self.model.labels(version).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
