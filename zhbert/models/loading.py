"""Loading checkpoints with errors a user can act on: a missing folder, or one that holds no usable model; and
a word about the weights only when something is wrong with them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import DataError, MissingFileError

__all__ = [
    "check_architecture",
    "checkpoint_task",
    "checkpoint_tensors",
    "fit_tokenizer_length",
    "load_pretrained",
    "model_source",
]


def load_pretrained(loader: Any, path: str | os.PathLike[str], **kwargs: Any) -> Any:
    """``loader.from_pretrained(path, **kwargs)`` (a transformers ``Auto*`` class, say), with user errors raised
    as ``MissingFileError`` (no such folder, and no such hub model) or ``DataError`` (a folder that holds no
    usable checkpoint). A path that does not exist fails at once (``model_source``), without hub retries.
    With ``output_loading_info=True`` a model class returns ``(model, info)``, as transformers does.
    """
    name = str(path)
    source = model_source(name, cache_dir=kwargs.get("cache_dir"))
    want_info = kwargs.pop("output_loading_info", False)
    try:
        if not _is_model_class(loader):
            return loader.from_pretrained(source, **kwargs)
        with _load_report_held():
            model, info = loader.from_pretrained(source, output_loading_info=True, **kwargs)
        _report_weights(model, info, name, resize_head=bool(kwargs.get("ignore_mismatched_sizes")))
        return (model, info) if want_info else model
    except OSError as err:
        reason = _first_line(err)
        if not Path(source).exists():
            raise MissingFileError(f"{name}: no such model directory ({reason})") from err
        raise DataError(f"{name}: cannot load a model from it ({reason})") from err


def model_source(path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None) -> str:
    """What to hand ``from_pretrained``: the folder ``path`` names, or a hub model name that is cached, or one
    that the hub can be asked about (online, and reachable). Checked before any model code is imported, so a
    mistyped path fails in a moment rather than after the hub's retries.

    Raises:
        MissingFileError: no such folder, and not a hub model that can be had.
        DataError: ``path`` is a file.
    """
    name = str(path)
    local = Path(name).expanduser()
    if local.is_file():
        raise DataError(f"{name}: a file, not a model directory: give the folder that holds config.json")
    if local.exists():
        return str(local)
    if not _hub_name(name):
        raise MissingFileError(f"{name}: no such model directory")
    if _hub_cached(name, cache_dir):
        return name
    from huggingface_hub import constants

    if constants.is_offline_mode():
        raise MissingFileError(f"{name}: no such model directory, and no hub model of that name in the cache (offline)")
    if not _hub_reachable(constants.ENDPOINT):
        raise MissingFileError(
            f"{name}: no such model directory, and {constants.ENDPOINT} cannot be reached to look for a hub model "
            "of that name"
        )
    return name


def _hub_name(name: str) -> bool:
    """Whether ``name`` can be a hub model (``bert-base-chinese``, ``hfl/chinese-roberta-wwm-ext``) rather than a
    path: not absolute or relative to ``.`` or ``~``, and not inside a folder that exists here."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if name.startswith((".", "~", "/")) or "\\" in name or name.count("/") > 1:
        return False
    if "/" in name and Path(name.split("/", 1)[0]).is_dir():
        return False
    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def _hub_cached(name: str, cache_dir: str | os.PathLike[str] | None) -> bool:
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    snapshots = (
        Path(cache_dir or constants.HF_HUB_CACHE) / repo_folder_name(repo_id=name, repo_type="model") / "snapshots"
    )
    return snapshots.is_dir() and any(snapshots.iterdir())


def _hub_reachable(endpoint: str) -> bool:
    """One connection to the hub, two seconds at most; behind a proxy the hub is asked as configured."""
    import socket
    from urllib.parse import urlsplit

    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    url = urlsplit(endpoint)
    try:
        with socket.create_connection((url.hostname or "", url.port or 443), timeout=2):
            return True
    except OSError:
        return False


def _is_model_class(loader: Any) -> bool:
    """A transformers model class or ``AutoModel*`` class (whose ``from_pretrained`` reports on the weights)."""
    from transformers import PreTrainedModel

    return isinstance(loader, type) and (issubclass(loader, PreTrainedModel) or loader.__name__.startswith("AutoModel"))


class _HoldLoadReport(logging.Filter):
    """Holds back transformers' table of missing and unexpected weights (its ``LOAD REPORT`` record) during one
    load: ``_report_weights`` then says what, if anything, is wrong. Every other record passes."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if "LOAD REPORT" in record.getMessage():
            self.records.append(record)
            return False
        return True


@contextmanager
def _load_report_held() -> Iterator[_HoldLoadReport]:
    """The load report held back, and the per-tensor "Loading weights" bar hidden (a model of this size loads in a
    blink, and a bar on every call of a command is noise); the report is shown after all when the load fails (its
    error refers to the table)."""
    from transformers.utils import logging as hf_logging

    log = logging.getLogger("transformers.modeling_utils")
    held = _HoldLoadReport()
    log.addFilter(held)
    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield held
    except BaseException:
        log.removeFilter(held)
        for record in held.records:
            log.handle(record)
        raise
    finally:
        log.removeFilter(held)
        if bar:
            hf_logging.enable_progress_bar()


def _report_weights(model: Any, info: dict[str, Any], name: str, resize_head: bool = False) -> None:
    """Warn, in a few words, about weights that differ from what this load should find.

    Expected, and so not mentioned: a checkpoint of another architecture (a pretrained encoder given to a new
    head) lacks the head and the pooler and holds its own head (the masked-LM head, say); a head of another size,
    replaced where the caller allows it (``ignore_mismatched_sizes``); a zhbert tagger's ``crf.*`` weights, which
    ``load_token_classifier`` loads itself, and a span model's ``span_head.*`` weights and absent ``classifier``.
    """
    base = f"{getattr(model, 'base_model_prefix', '')}."
    architectures = list(getattr(model.config, "architectures", None) or [])
    new_head = type(model).__name__ not in architectures

    def head(key: str) -> bool:
        return not key.startswith(base) or (new_head and key.startswith(f"{base}pooler."))

    # zhbert's own heads: the CRF's weights and the span head's are loaded by their loaders, and a span model
    # saves no tag classifier.
    own: tuple[str, ...] = ("crf.",) if getattr(model.config, "zhbert_crf", False) else ()
    span = getattr(model.config, "zhbert_head", None) == "span"
    own += ("span_head.",) if span else ()
    missing = sorted(
        k
        for k in info.get("missing_keys", ())
        if not ((new_head and head(k)) or (span and k.startswith("classifier.")))
    )
    unexpected = sorted(
        k for k in info.get("unexpected_keys", ()) if not ((new_head and head(k)) or (own and k.startswith(own)))
    )
    resized = sorted(k for k, *_ in info.get("mismatched_keys", ()) if not ((new_head or resize_head) and head(k)))
    problems = [
        f"{len(keys)} {what} ({_abbreviate(keys)})"
        for what, keys in (
            ("weight(s) missing from the checkpoint, initialised at random", missing),
            ("weight(s) of another shape, initialised at random", resized),
            ("weight(s) in the checkpoint that the model does not use", unexpected),
        )
        if keys
    ]
    if problems:
        logging.getLogger("zhbert").warning(f"{name}: {type(model).__name__}: {'; '.join(problems)}")


def _abbreviate(keys: list[str], shown: int = 3) -> str:
    return ", ".join(keys[:shown]) + (f", ... ({len(keys) - shown} more)" if len(keys) > shown else "")


def check_architecture(path: str | os.PathLike[str], kinds: tuple[str, ...], wanted: str) -> None:
    """Refuse a saved model whose ``config.json`` names only architectures that end in none of ``kinds``
    (``("ForSequenceClassification",)``, say): loading it would give a head of fresh random weights. A config
    that names no architecture passes.

    Raises:
        DataError: the checkpoint is of another kind; ``wanted`` says what was expected.
    """
    from transformers import AutoConfig

    architectures = list(getattr(load_pretrained(AutoConfig, path), "architectures", None) or [])
    if architectures and not any(name.endswith(kinds) for name in architectures):
        raise DataError(f"{path}: a {', '.join(architectures)} checkpoint, not {wanted}")


def checkpoint_task(path: str | os.PathLike[str]) -> str:
    """The task a saved model was fine-tuned for: ``"classify"`` or ``"ner"`` (``config.zhbert_task``, else
    guessed from its architecture).

    Raises:
        DataError: the checkpoint is neither a sequence nor a token classifier (a masked-language model, say).
    """
    from transformers import AutoConfig

    config = load_pretrained(AutoConfig, path)
    name = getattr(config, "zhbert_task", None)
    if name is not None:
        return str(name)
    architectures = list(config.architectures or [])
    if any(a.endswith("ForTokenClassification") for a in architectures):
        return "ner"
    if not architectures or any(a.endswith("ForSequenceClassification") for a in architectures):
        return "classify"
    raise DataError(
        f"{path}: a {', '.join(architectures)} checkpoint, not a fine-tuned classifier or tagger: "
        "fine-tune it first with zhbert train classify or zhbert train ner"
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def fit_tokenizer_length(tokenizer: Any, model: Any) -> None:
    """Give a tokenizer without a maximum length (one built from a bare ``vocab.txt``) the model's
    ``max_position_embeddings``, so that what is saved beside the model truncates where the model must:
    ``pipeline(..., truncation=True)`` on a saved model otherwise passes 600-token texts to 512 positions."""
    positions = getattr(model.config, "max_position_embeddings", None)
    current = getattr(tokenizer, "model_max_length", None)
    if positions and (current is None or current > 100_000):
        tokenizer.model_max_length = int(positions)


def checkpoint_tensors(path: str | os.PathLike[str], prefix: str) -> dict[str, Any]:
    """The tensors named ``prefix*`` in the checkpoint's own weights: ``model.safetensors``, or the shards its
    index names; other ``.safetensors`` files in the folder are not read."""
    import json

    from safetensors.torch import load_file

    folder = Path(path)
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
        files = sorted({name for key, name in weight_map.items() if key.startswith(prefix)})
    else:
        files = ["model.safetensors"] if (folder / "model.safetensors").is_file() else []
    tensors: dict[str, Any] = {}
    for name in files:
        tensors.update({k: v for k, v in load_file(str(folder / name)).items() if k.startswith(prefix)})
    return tensors
