"""The HTTP API: ``create_app(specs, settings)`` is a FastAPI application (any ASGI server runs it; ``zhbert
serve`` runs it on uvicorn).

    POST /v1/classify    {"text": "..."} or {"texts": [...]}  -> {"model": ..., "results": [Classification, ...]}
    POST /v1/entities    the same                              -> {"model": ..., "results": [[Entity, ...], ...]}
    POST /v1/fill-mask   the same, and "top_k"                 -> {"model": ..., "results": [[[Candidate, ...]]]}
    GET /v1/models   GET /health   GET /metrics   GET /docs

Results are the Python API's, field for field. Errors are ``{"error": {"code": ..., "message": ...}}``
(``zhbert.serve.limits``). The application keeps no state between requests, so replicas scale out behind any
load balancer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from .limits import (
    ApiError,
    ApiKeyMiddleware,
    ASGIApp,
    BodyLimitMiddleware,
    FillMaskRequest,
    Receive,
    Scope,
    Send,
    TextsRequest,
    error_body,
    parse_request,
)
from .metrics import Metrics, MetricsMiddleware
from .models import ModelSet
from .settings import ROUTES, ModelSpec, ServeSettings

__all__ = ["create_app"]

logger = logging.getLogger("zhbert.serve")


class Classification(BaseModel):
    label: str
    score: float
    scores: dict[str, float]
    truncated: bool


class Entity(BaseModel):
    text: str
    type: str
    start: int
    end: int
    score: float


class Candidate(BaseModel):
    token: str
    score: float
    text: str


class ClassifyResponse(BaseModel):
    model: str
    results: list[Classification]


class EntitiesResponse(BaseModel):
    model: str
    results: list[list[Entity]]


class FillMaskResponse(BaseModel):
    model: str
    results: list[list[list[Candidate]]]


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(error_body(code, message), status, headers, media_type="application/json")


async def answer(models: ModelSet, settings: ServeSettings, kind: str, body: bytes) -> bytes:
    """The JSON answer of a predict route to ``body``, or ``ApiError``."""
    parsed = parse_request(body, settings, fill_mask=kind == "mlm")
    served = models.pick(kind, parsed.model)
    if kind == "mlm":
        for i, text in enumerate(parsed.texts):
            if served.mask_token not in text:
                message = f"{parsed.where(i)} has no {served.mask_token}: put it where a token is missing"
                raise ApiError(422, "invalid_body", message)
    results = await served.batcher.submit(parsed.texts, parsed.top_k)
    return json.dumps(
        {"model": served.spec.name, "results": results}, ensure_ascii=False, separators=(",", ":")
    ).encode()


class PredictRoutes:
    """``POST`` to a predict route, answered without the router and its request objects (about a tenth less
    server CPU per request); everything else goes on to the application, whose routes of the same paths document
    them and answer alike."""

    def __init__(self, app: ASGIApp, models: ModelSet, settings: ServeSettings) -> None:
        self.app, self.models, self.settings = app, models, settings
        self.kinds = {route: kind for kind, route in ROUTES.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self.kinds.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        try:
            status, body, headers = 200, await answer(self.models, self.settings, kind, b"".join(chunks)), {}
        except ApiError as err:
            status, body, headers = err.status, error_body(err.code, err.message), err.headers
        except Exception as err:
            logger.exception("POST %s failed", scope["path"], exc_info=err)
            status, headers = 500, {}
            body = error_body("internal_error", f"{type(err).__name__} (logged by the server)")
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def create_app(
    specs: list[ModelSpec], settings: ServeSettings, on_loaded: Callable[[ModelSet], None] | None = None
) -> FastAPI:
    """The application over ``specs``; the models load on a thread when it starts (``/health`` is 503 until
    then), and ``on_loaded`` is called with them once they have loaded or failed to."""
    metrics = Metrics()
    models = ModelSet(specs, settings, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        models.start_loading(on_loaded)
        yield
        models.close(settings.graceful_timeout_s)  # in-flight requests have been answered by now

    app = FastAPI(
        title="zhbert",
        summary="Chinese text classification, entities with offsets, and mask filling, with dynamic batching.",
        lifespan=lifespan,
        responses={code: {"model": ErrorResponse} for code in (400, 401, 413, 422, 503)},
    )
    app.state.models = models
    app.state.metrics = metrics

    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError) -> Response:
        return _error(err.status, err.code, err.message, err.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        return _error(err.status_code, code, str(err.detail), dict(err.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> Response:
        return _error(422, "invalid_body", str(err.errors()))

    @app.exception_handler(Exception)
    async def crashed(request: Request, err: Exception) -> Response:
        logger.exception("%s %s failed", request.method, request.url.path, exc_info=err)
        return _error(500, "internal_error", f"{type(err).__name__} (logged by the server)")

    async def predict(request: Request, kind: str) -> Response:
        body = await answer(models, settings, kind, await request.body())
        return Response(body, media_type="application/json")

    def body_schema(model: type[BaseModel]) -> dict[str, Any]:
        return {
            "requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}
        }

    @app.post(ROUTES["classifier"], response_model=ClassifyResponse, openapi_extra=body_schema(TextsRequest))
    async def classify(request: Request) -> Response:
        """Label and scores of each text (``TextClassifier.predict``)."""
        return await predict(request, "classifier")

    @app.post(ROUTES["tagger"], response_model=EntitiesResponse, openapi_extra=body_schema(TextsRequest))
    async def entities(request: Request) -> Response:
        """Entities of each text, ``[start, end)`` offsets in code points of the text as sent
        (``EntityTagger.predict``); long texts are read in windows."""
        return await predict(request, "tagger")

    @app.post(ROUTES["mlm"], response_model=FillMaskResponse, openapi_extra=body_schema(FillMaskRequest))
    async def fill_mask(request: Request) -> Response:
        """``top_k`` candidates for each [MASK] of each text (``MaskFiller.predict``)."""
        return await predict(request, "mlm")

    @app.get("/v1/models")
    async def list_models() -> Response:
        """The served models: name, kind, folder, labels; ``state`` is loading, ready or failed."""
        if models.state == "ready":
            listed = [served.describe() for served in models.models.values()]
        else:
            listed = [{"name": s.name, "kind": s.kind, "path": s.path} for s in specs]
        return JSONResponse({"state": models.state, "models": listed})

    @app.get("/health")
    async def health() -> Response:
        """200 once the models have loaded; 503 before (or when loading failed)."""
        if models.state == "ready":
            return JSONResponse({"status": "ready", "models": list(models.models)})
        message = "the models are loading" if models.state == "loading" else f"loading failed: {models.error}"
        return _error(503, models.state, message, {"Retry-After": "2"})

    @app.get("/metrics")
    async def prometheus() -> Response:
        """Prometheus metrics: requests, latency, batch sizes, errors, queue depth."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # The outermost middleware is added last: metrics see every answer, the key is checked before a body is read,
    # and the predict routes are answered innermost, without the router.
    app.add_middleware(PredictRoutes, models=models, settings=settings)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    if settings.api_key:
        app.add_middleware(ApiKeyMiddleware, key=settings.api_key)
    known = frozenset({*ROUTES.values(), "/v1/models", "/health", "/metrics"})
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=known)
    return app
