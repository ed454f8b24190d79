"""What a request must be before it reaches a model, and the one shape of every error the server answers:
``{"error": {"code": "...", "message": "..."}}``.

Codes: 400 ``malformed_json`` (not JSON, not UTF-8) / ``invalid_text`` (a lone surrogate), 401 ``unauthorized``, 404
``unknown_model`` / ``not_found``, 405 ``method_not_allowed``, 413 ``body_too_large`` / ``too_many_texts`` /
``text_too_long``, 422 ``invalid_body`` (wrong types, missing or empty texts) / ``unprocessable_text`` (the model
refused a text), 500 ``internal_error``, 503 ``overloaded`` / ``loading`` (with ``Retry-After``).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .settings import ServeSettings

__all__ = [
    "ApiError",
    "ApiKeyMiddleware",
    "BodyLimitMiddleware",
    "FillMaskRequest",
    "TextsRequest",
    "error_body",
    "parse_request",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/health", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc"})


class ApiError(Exception):
    """An answer other than 200: its status, code and message (and headers, e.g. ``Retry-After``)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_body(code: str, message: str) -> bytes:
    error = {"error": {"code": code, "message": message}}
    return json.dumps(error, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def send_error(send: Send, error: ApiError) -> None:
    """Answer with ``error`` from ASGI middleware, before the application sees the request."""
    body = error_body(error.code, error.message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class TextsRequest(BaseModel):
    """One text (``text``) or several (``texts``); ``model`` names the model when more than one of its kind is
    served."""

    model_config = ConfigDict(extra="forbid", strict=True)
    text: str | None = Field(None, description="one text", examples=["张三在北京大学工作。"])
    texts: list[str] | None = Field(None, description="several texts; the results keep their order")
    model: str | None = Field(None, description="the served model's name (GET /v1/models)")


class FillMaskRequest(TextsRequest):
    """Texts with ``[MASK]`` where a token is missing, and how many candidates to return for each."""

    text: str | None = Field(None, description="one text", examples=["中华人民共和国[MASK]法"])
    top_k: int = Field(5, ge=1, description="candidates per [MASK]")


@dataclass(frozen=True)
class Parsed:
    texts: list[str]
    model: str | None
    top_k: int
    single: bool  # sent as "text", not "texts"

    def where(self, i: int) -> str:
        """How the request names its text ``i``."""
        return "text" if self.single else f"texts[{i}]"


def parse_request(body: bytes, settings: ServeSettings, fill_mask: bool = False) -> Parsed:
    """The texts of a request body, checked against the limits, or ``ApiError`` saying what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ApiError(400, "malformed_json", f"the body is not UTF-8: byte {err.start} cannot be decoded") from None
    except json.JSONDecodeError as err:
        raise ApiError(400, "malformed_json", f"the body is not JSON: {err.msg} at character {err.pos}") from None
    try:
        request = (FillMaskRequest if fill_mask else TextsRequest).model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in err.errors(include_url=False)
        )
        raise ApiError(422, "invalid_body", problems) from None
    if (request.text is None) == (request.texts is None):
        raise ApiError(422, "invalid_body", 'give "text" (one string) or "texts" (a list of strings), not both')
    texts = [request.text] if request.text is not None else list(request.texts or [])
    name = "text" if request.text is not None else "texts"
    if not texts:
        raise ApiError(422, "invalid_body", "texts is an empty list: give at least one text")
    if len(texts) > settings.max_texts:
        raise ApiError(413, "too_many_texts", f"{len(texts)} texts; this server takes at most {settings.max_texts}")
    for i, text in enumerate(texts):
        where = name if request.text is not None else f"texts[{i}]"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise ApiError(
                400,
                "invalid_text",
                f"{where} holds a lone surrogate (U+{ord(text[err.start]):04X}) at character "
                f"{err.start}: half of a pair, not a character",
            ) from None
        if not text.strip():
            raise ApiError(422, "invalid_body", f"{where} is empty or only whitespace: there is nothing to read")
        if len(text) > settings.max_chars:
            raise ApiError(
                413,
                "text_too_long",
                f"{where} has {len(text)} characters; this server takes at most {settings.max_chars} per text",
            )
    top_k = request.top_k if isinstance(request, FillMaskRequest) else 0
    if top_k > settings.max_top_k:
        raise ApiError(422, "invalid_body", f"top_k is {top_k}; this server returns at most {settings.max_top_k}")
    return Parsed(texts, request.model, top_k, request.text is not None)


class BodyLimitMiddleware:
    """413 for a body over ``limit`` bytes, by its Content-Length or as it streams in, before any route reads it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = ApiError(413, "body_too_large", f"the body is over {self.limit} bytes, this server's limit")
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await send_error(send, too_large)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await send_error(send, too_large)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class ApiKeyMiddleware:
    """401 without the key (``Authorization: Bearer KEY`` or ``X-API-Key: KEY``); /health and the OpenAPI page
    stay open."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app, self.key = app, key.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-api-key")
        auth = headers.get(b"authorization", b"")
        if given is None and auth[:7].lower() == b"bearer ":
            given = auth[7:].strip()
        if given is None or not hmac.compare_digest(given, self.key):
            message = "a missing API key" if given is None else "a wrong API key"
            await send_error(
                send,
                ApiError(
                    401,
                    "unauthorized",
                    f"{message}: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
                    {"WWW-Authenticate": "Bearer"},
                ),
            )
            return
        await self.app(scope, receive, send)
