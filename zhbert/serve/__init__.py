"""The HTTP server (``zhbert serve``): routes (``app``), dynamic batching (``batching``), limits and the error
shape (``limits``), Prometheus metrics (``metrics``), the served models (``models``) and the settings.

FastAPI, uvicorn and prometheus-client come with the ``serve`` extra; ``create_app`` and ``serve`` import them
when first used, so the settings can be read without them.
"""

from __future__ import annotations

from typing import Any

from .settings import (
    API_KEY_ENV,
    KINDS,
    ROUTES,
    ModelSpec,
    ServeSettings,
    model_kind,
    parse_model_specs,
    serve_threads,
)

__all__ = [
    "API_KEY_ENV",
    "KINDS",
    "ROUTES",
    "ModelSpec",
    "ServeSettings",
    "create_app",
    "model_kind",
    "parse_model_specs",
    "require_serve_extra",
    "serve",
    "serve_threads",
]


def require_serve_extra() -> None:
    """Raise ``MissingExtraError`` unless FastAPI, uvicorn and prometheus-client are installed."""
    from importlib.util import find_spec

    from ..errors import MissingExtraError

    missing = [name for name in ("fastapi", "uvicorn", "prometheus_client") if find_spec(name) is None]
    if missing:
        raise MissingExtraError(f"zhbert serve needs {', '.join(missing)}: pip install zhbert[serve]")


def __getattr__(name: str) -> Any:
    if name in ("create_app", "serve"):
        require_serve_extra()
        if name == "create_app":
            from .app import create_app

            return create_app
        from .server import serve

        return serve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
