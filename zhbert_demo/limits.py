"""Request limits in front of the Gradio app: bodies over a size are refused before they are read, and file
uploads (no component of the demo takes a file) are refused outright.

    demo.launch(app_kwargs={"middleware": [Middleware(RequestLimits, max_body=64 * 1024)]})
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["UPLOAD_PATHS", "RequestLimits"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

UPLOAD_PATHS = ("/gradio_api/upload", "/upload")


class RequestLimits:
    """ASGI middleware: 413 for a body over ``max_body`` bytes (by its Content-Length, or counted as it streams
    in), 403 for the upload routes; each answer is one JSON line ``{"error": "..."}``."""

    def __init__(self, app: Any, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].rstrip("/").endswith(UPLOAD_PATHS):
            await _refuse(send, 403, "uploads are off: this demo takes text only")
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_large = f"the request is over {self.max_body:,} bytes; the demo takes short texts only"
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _refuse(send, 413, too_large)
            return
        # Read the whole body here (it is small, or it is refused) and hand the app a replay of it: the app
        # never sees a body over the limit, whatever error handling it has.
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([*messages, message], receive), send)
                return
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                await _refuse(send, 413, too_large)
                return
            messages.append(message)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(messages, receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    queue = list(messages)

    async def replayed() -> Message:
        return queue.pop(0) if queue else await receive()

    return replayed


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}, ensure_ascii=False).encode() + b"\n"
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
