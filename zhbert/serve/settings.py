"""What ``zhbert serve`` serves and how: the models (``ModelSpec``, each named and of one kind) and the server's
limits and batching (``ServeSettings``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..cores import THREADS_ENV, ThreadChoice, choose_threads
from ..errors import DataError, UsageError

__all__ = [
    "API_KEY_ENV",
    "KINDS",
    "ROUTES",
    "ModelSpec",
    "ServeSettings",
    "model_kind",
    "parse_model_specs",
    "serve_threads",
]

API_KEY_ENV = "ZHBERT_API_KEY"
# The kinds of model served, and the route of each.
KINDS = ("classifier", "tagger", "mlm")
ROUTES = {"classifier": "/v1/classify", "tagger": "/v1/entities", "mlm": "/v1/fill-mask"}


@dataclass(frozen=True)
class ServeSettings:
    """The server's address, key, batching and limits (``zhbert serve --help`` lists each as a flag).

    Attributes:
        max_batch: the most texts one predict call takes; requests queued together share a call up to it.
        max_wait_ms: how long the first request of a batch waits for others to join it.
        max_queue: the most requests waiting or running per model; beyond it, 503 with Retry-After.
        max_body_bytes: the largest request body read (413 beyond it).
        max_texts: the most texts in one request.
        max_chars: the most characters in one text; a tagger reads a long text in windows, a classifier the
            beginning that fits its window (its result says ``truncated``).
        max_top_k: the most candidates a fill-mask request may ask for.
        threads: the threads each model runs on (``None``: ``serve_threads``).
        dtype: ``float32`` (the default: memory stays flat under load), ``bf16`` (faster model calls on a CPU
            with bf16, but oneDNN keeps memory for each new input shape) or ``auto``.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    max_batch: int = 64
    max_wait_ms: float = 2.0
    max_queue: int = 512
    max_body_bytes: int = 1_000_000
    max_texts: int = 128
    max_chars: int = 2000
    max_top_k: int = 50
    threads: int | None = None
    dtype: str = "float32"
    device: str | None = None
    graceful_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("port", "max_batch", "max_queue", "max_body_bytes", "max_texts", "max_chars", "max_top_k"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (name == "port" and value > 65535):
                raise UsageError(f"{name} must be a whole number >= 1, got {value!r}", argument=name)
        for name in ("max_wait_ms", "graceful_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e6:
                raise UsageError(f"{name} must be a number >= 0, got {value!r}", argument=name)
        if self.api_key is not None and not self.api_key.strip():
            raise UsageError("api_key is empty: give a key, or none to serve without one", argument="api_key")


def serve_threads(requested: int | None = None) -> ThreadChoice:
    """The threads of the model calls: ``requested``, else ``$ZHBERT_THREADS``, else the cores this process may
    use less one, which the event loop needs (parsing requests, writing answers): on a shared 2-core machine the
    classifier served 342 requests/s with 1 thread and 40 with 2 (benchmarks/serve_load.py --quick, one run after
    the other; docs/benchmarks.md).
    """
    choice = choose_threads(requested)
    if requested is None and not os.environ.get(THREADS_ENV, "").strip() and choice.threads > 1:
        return ThreadChoice(choice.threads - 1, f"{choice.reason}, less one for the event loop")
    return choice


@dataclass(frozen=True)
class ModelSpec:
    """One served model: its name in requests (``model``), the folder it loads from, and its kind."""

    name: str
    path: str
    kind: str


def model_kind(path: str | os.PathLike[str]) -> str:
    """``classifier``, ``tagger`` or ``mlm``, from the folder's ``config.json`` (``zhbert_task``, else its
    architecture), read without importing any model code.

    Raises:
        MissingFileError: no such folder.
        DataError: no ``config.json``, or one of a model that zhbert does not serve.
    """
    from ..models.loading import model_source

    source = Path(model_source(path))
    config_file = source / "config.json"
    if not config_file.is_file():
        raise DataError(f"{path}: no config.json: give a folder written by zhbert train, wwm-pretrain or zhbert export")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(f"{config_file}: not a JSON model configuration ({err})") from None
    task = config.get("zhbert_task")
    architectures = [str(a) for a in config.get("architectures") or []]
    if task == "ner" or any(a.endswith("ForTokenClassification") for a in architectures):
        return "tagger"
    if task == "classify" or any(a.endswith("ForSequenceClassification") for a in architectures):
        return "classifier"
    if any(a.endswith(("ForMaskedLM", "ForPreTraining")) for a in architectures):
        return "mlm"
    raise DataError(
        f"{path}: a {', '.join(architectures) or 'model of no architecture'}: zhbert serves classifiers, taggers "
        "and masked-language models"
    )


def parse_model_specs(models: list[str]) -> list[ModelSpec]:
    """``PATH`` or ``NAME=PATH`` arguments as specs, each named by its folder unless named; names are unique.

    Raises:
        UsageError: no model, an empty or repeated name.
    """
    if not models:
        raise UsageError("give at least one model folder to serve", argument="models")
    specs: list[ModelSpec] = []
    for arg in models:
        name, sep, path = arg.partition("=")
        if not sep or os.path.exists(arg):  # a path that holds "=" is a path
            name, path = Path(arg).resolve().name, arg
        if not name.strip() or not path.strip():
            raise UsageError(f"{arg!r}: give PATH or NAME=PATH", argument="models")
        if any(spec.name == name for spec in specs):
            raise UsageError(f"two models are called {name!r}: name them with NAME=PATH", argument="models")
        specs.append(ModelSpec(name, path, model_kind(path)))
    return specs
