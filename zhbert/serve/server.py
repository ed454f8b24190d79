"""``serve(specs, settings)``: the application on uvicorn, in this process, until SIGTERM or SIGINT.

On either signal the server stops accepting connections, answers the requests it has (up to
``graceful_timeout_s``), then stops the models' workers.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from .models import ModelSet
from .settings import ModelSpec, ServeSettings

__all__ = ["serve"]


def serve(specs: list[ModelSpec], settings: ServeSettings, log_level: str = "warning", access_log: bool = False) -> int:
    """Serve until stopped: 0, or 2 when the models could not be loaded (the error is printed)."""
    import uvicorn

    from .app import create_app

    outcome = {"status": 0}
    holder: dict[str, Any] = {}
    start = time.perf_counter()

    def on_loaded(models: ModelSet) -> None:
        if models.state == "ready":
            print(f"zhbert serve: ready in {time.perf_counter() - start:.1f} s", flush=True)
        else:
            print(f"zhbert serve: error: {models.error}", flush=True)
            outcome["status"] = 2
            holder["server"].should_exit = True

    app = create_app(specs, settings, on_loaded)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
        lifespan="on",
    )
    server = uvicorn.Server(config)
    holder["server"] = server
    stopped_by: list[str] = []
    if threading.current_thread() is threading.main_thread():
        # uvicorn handles the signals while it serves, then raises them again: these handlers take them then, so
        # that a graceful stop ends with status 0 rather than death by signal.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda number, frame: stopped_by.append(signal.Signals(number).name))
    server.run()
    if not server.started and outcome["status"] == 0:
        return 2  # uvicorn said why (the port is taken, say)
    how = f" on {stopped_by[0]}" if stopped_by else ""
    print(f"zhbert serve: stopped{how}", flush=True)
    return outcome["status"]
