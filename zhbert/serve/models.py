"""The served models: loaded through the Python API (``TextClassifier``, ``EntityTagger``, ``MaskFiller``), each
behind its own ``Batcher``, with the server's state while they load (``/health``)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .batching import Batcher
from .limits import ApiError
from .metrics import Metrics
from .settings import ModelSpec, ServeSettings

__all__ = ["ModelSet", "ServedModel"]

logger = logging.getLogger("zhbert.serve")


class ServedModel:
    """One model: its spec, its predictor and its batcher; ``run`` turns the predictor's results into JSON."""

    def __init__(self, spec: ModelSpec, predictor: Any, settings: ServeSettings, metrics: Metrics) -> None:
        self.spec, self.predictor, self.settings = spec, predictor, settings
        self.mask_token = str(getattr(predictor, "mask_token", "[MASK]"))
        self.batcher = Batcher(
            spec.name, self.run, settings.max_batch, settings.max_wait_ms / 1000, settings.max_queue, metrics
        )
        for series in (metrics.queue_depth, metrics.batch_size, metrics.batch_seconds):
            series.labels(spec.name)  # each model's series shows from the start, at zero

    def run(self, texts: list[str], top_ks: list[int]) -> list[Any]:
        """One predict call; one JSON-ready result per text, as the Python API gives it."""
        kind = self.spec.kind
        if kind == "classifier":
            return [asdict(r) for r in self.predictor.predict(texts, batch_size=self.settings.max_batch)]
        if kind == "tagger":
            found = self.predictor.predict(texts, batch_size=self.settings.max_batch)
            return [[asdict(e) for e in row] for row in found]
        filled = self.predictor.predict(texts, top_k=max(top_ks))
        return [[[asdict(c) for c in mask[:k]] for mask in row] for row, k in zip(filled, top_ks, strict=True)]

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"name": self.spec.name, "kind": self.spec.kind, "path": self.spec.path}
        info["backend"] = str(getattr(self.predictor, "backend", "pytorch"))
        for attr in ("labels", "max_length"):
            if hasattr(self.predictor, attr):
                info[attr] = getattr(self.predictor, attr)
        if hasattr(self.predictor, "id2label"):
            info["labels"] = [self.predictor.id2label[i] for i in sorted(self.predictor.id2label)]
        return info


def load_predictor(spec: ModelSpec, settings: ServeSettings, threads: int) -> Any:
    """The Python API object over ``spec.path``: a PyTorch checkpoint on ``settings.device`` in ``settings.dtype``,
    or an exported directory on ONNX Runtime with ``threads`` threads of its own."""
    from ..api import EntityTagger, MaskFiller, TextClassifier
    from ..export import is_exported

    api: Any = {"classifier": TextClassifier, "tagger": EntityTagger, "mlm": MaskFiller}[spec.kind]
    if is_exported(spec.path):
        return api.from_pretrained(spec.path, threads=threads)
    return api.from_pretrained(spec.path, device=settings.device, dtype=settings.dtype)


class ModelSet:
    """The models of one server, loaded on a thread of their own so that the server answers ``/health`` (503)
    meanwhile; ``state`` is ``loading``, ``ready`` or ``failed``."""

    def __init__(self, specs: list[ModelSpec], settings: ServeSettings, metrics: Metrics) -> None:
        self.specs, self.settings, self.metrics = specs, settings, metrics
        self.models: dict[str, ServedModel] = {}
        self.state, self.error, self.load_seconds = "loading", "", 0.0
        self._thread: threading.Thread | None = None

    def start_loading(self, on_done: Callable[[ModelSet], None] | None = None) -> None:
        self._thread = threading.Thread(target=self._load, args=(on_done,), name="zhbert-load", daemon=True)
        self._thread.start()

    def _load(self, on_done: Callable[[ModelSet], None] | None) -> None:
        from ..cores import apply_threads
        from .settings import serve_threads

        start = time.perf_counter()
        try:
            threads = serve_threads(self.settings.threads)
            apply_threads(threads)
            if self.settings.dtype == "float32":
                from ..models.fast_bert import use_onednn

                # oneDNN keeps memory for each new input shape, and a server sees new shapes for ever: RSS grew
                # 495 -> 1180 MB over 12,000 requests in bf16 (oneDNN), 460 -> 480 MB in float32 on MKL.
                use_onednn(False)
            models = {}
            for spec in self.specs:
                predictor = load_predictor(spec, self.settings, threads.threads)
                served = ServedModel(spec, predictor, self.settings, self.metrics)
                probe = "中华人民共和国[MASK]法" if spec.kind == "mlm" else "张三在北京工作。"
                served.run([probe], [1])  # the first call pays for lazy set-up, not a user's request
                models[spec.name] = served
            for served in models.values():
                served.batcher.start()
            self.models = models
            self.load_seconds = time.perf_counter() - start
            self.state = "ready"
        except Exception as err:
            logger.exception("loading the models failed")
            self.error = f"{type(err).__name__}: {err}"
            self.state = "failed"
        if on_done is not None:
            on_done(self)

    def pick(self, kind: str, name: str | None) -> ServedModel:
        """The model a request names, or the one model of ``kind``.

        Raises:
            ApiError: 503 while loading; 404 for no such model, or none of the kind; 422 when several of the kind
                are served and the request names none.
        """
        if self.state != "ready":
            message = "the models are still loading" if self.state == "loading" else f"loading failed: {self.error}"
            raise ApiError(503, "loading", message, {"Retry-After": "2"})
        of_kind = [m for m in self.models.values() if m.spec.kind == kind]
        if name is not None:
            served = self.models.get(name)
            if served is None or served.spec.kind != kind:
                known = ", ".join(m.spec.name for m in of_kind) or "none"
                raise ApiError(404, "unknown_model", f"no {kind} called {name!r} is served (served: {known})")
            return served
        if not of_kind:
            raise ApiError(404, "unknown_model", f"this server serves no {kind} (GET /v1/models)")
        if len(of_kind) > 1:
            names = ", ".join(m.spec.name for m in of_kind)
            raise ApiError(422, "invalid_body", f'{len(of_kind)} {kind}s are served ({names}): name one in "model"')
        return of_kind[0]

    def close(self, timeout: float = 30.0) -> None:
        for served in self.models.values():
            served.batcher.stop(timeout)
