"""LTP word segmentation (the optional ``ltp`` extra), from a local neural or legacy perceptron model."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ...errors import DataError, MissingExtraError, MissingFileError, UsageError
from .base import Segmenter, split_long_text

__all__ = ["LtpSegmenter"]


class LtpSegmenter(Segmenter):
    """LTP word segmentation from a local model directory (neural or legacy perceptron), batched.

    Texts longer than ``max_chars`` are split at sentence ends, segmented piece by piece and re-joined,
    so nothing is silently truncated. LTP is free for research only; install it with ``pip install zhbert[ltp]``.

    Args:
        model_dir: a directory holding LTP's ``config.json`` and model files.
        user_words: words that must stay whole.
        batch_size: texts per LTP call.
        max_chars: longest piece handed to LTP; ``None`` picks 500 for neural models and no limit for legacy ones.
    """

    name = "ltp"

    def __init__(
        self,
        model_dir: str | os.PathLike[str],
        user_words: Iterable[str] = (),
        batch_size: int = 64,
        max_chars: int | None = None,
    ) -> None:
        self.model_dir = str(model_dir)
        self.batch_size = int(batch_size)
        if self.batch_size < 1:
            raise UsageError(f"batch_size must be >= 1, got {batch_size}")
        self._user_words = [w for w in user_words]
        self._model: Any = None
        self._check_dir()
        self._neural = bool(self._read_config().get("nerual", True))
        self.max_chars = max_chars if max_chars is not None else (500 if self._neural else None)
        if self.max_chars is not None and self.max_chars < 1:
            raise UsageError(f"max_chars must be >= 1, got {max_chars}")

    def _check_dir(self) -> None:
        path = Path(self.model_dir)
        if not path.is_dir():
            raise MissingFileError(f"LTP model directory not found: {path}")
        if not (path / "config.json").is_file():
            raise DataError(f"{path} is not an LTP model directory: it has no config.json")

    def _read_config(self) -> dict[str, Any]:
        config_path = Path(self.model_dir) / "config.json"
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise DataError(f"{config_path}: not a valid LTP config ({err})") from None
        if not isinstance(config, dict):
            raise DataError(f"{config_path}: not a valid LTP config (expected a JSON object)")
        if config.get("nerual", True) is False:
            tasks = config.get("tasks")
            if not isinstance(tasks, dict) or "cws" not in tasks:
                raise DataError(f"{config_path}: a legacy LTP config needs a 'cws' model under 'tasks'")
            missing = Path(self.model_dir) / str(tasks["cws"])
            if not missing.is_file():
                raise DataError(f"{config_path}: the cws model file {missing} does not exist")
        return config

    def add_words(self, words: Iterable[str]) -> None:
        """Add words that must stay whole."""
        new = list(words)
        self._user_words.extend(new)
        if self._model is not None and new:
            self._model.add_words(new, freq=2)

    def user_words(self) -> frozenset[str]:
        return frozenset(self._user_words)

    def _backend(self) -> Any:
        if self._model is None:
            try:
                from ltp import LTP
            except ImportError:
                raise MissingExtraError("LtpSegmenter needs LTP: pip install zhbert[ltp]") from None
            try:
                model = LTP(self.model_dir)
            except Exception as err:  # LTP raises many kinds; all mean "not a usable model"
                raise DataError(f"could not load an LTP model from {self.model_dir}: {err}") from err
            if self._user_words:
                model.add_words(self._user_words, freq=2)
            self._model = model
        return self._model

    def _cut(self, texts: list[str]) -> list[list[str]]:
        model = self._backend()
        owners: list[int] = []
        pieces: list[str] = []
        for i, text in enumerate(texts):
            for piece in split_long_text(text, self.max_chars):
                owners.append(i)
                pieces.append(piece)
        out: list[list[str]] = [[] for _ in texts]
        # LTP rejects empty strings, and whitespace-only pieces give it nothing to do.
        todo = [k for k, piece in enumerate(pieces) if piece.strip()]
        for lo in range(0, len(todo), self.batch_size):
            chunk = todo[lo : lo + self.batch_size]
            words = model.pipeline([pieces[k] for k in chunk], tasks=["cws"]).cws
            for k, piece_words in zip(chunk, words, strict=True):
                out[owners[k]].extend(piece_words)
        # Whitespace-only pieces got no words; cut() puts the whitespace back.
        return out

    def _config(self) -> dict[str, Any]:
        return {
            "model_dir": os.path.abspath(self.model_dir),
            "words": self._user_words,
            "max": self.max_chars,
        }

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_model"] = None
        return state
