"""What every word segmenter shares: one call shape, ``cut(texts) -> list[list[str]]``, that never changes the
text (``"".join(words) == text`` for every item, with whitespace that a backend drops put back as words of its
own), and the cutting of long texts at sentence ends."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import UsageError
from ..checks import check_texts

__all__ = ["Segmenter", "restore_text", "split_long_text", "word_offsets"]

_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def word_offsets(words: Sequence[str]) -> list[tuple[int, int]]:
    """``[start, end)`` of each word in the text the words make up, in order (how segmentations are scored)."""
    offsets, start = [], 0
    for word in words:
        offsets.append((start, start + len(word)))
        start += len(word)
    return offsets


def restore_text(text: str, words: Sequence[str], index: int = 0) -> list[str]:
    """Fit ``words`` back onto ``text``, re-inserting characters the backend dropped (whitespace).

    Raises:
        ValueError: the words are not the text in order, apart from dropped whitespace.
    """
    if "".join(words) == text:
        return list(words)
    out: list[str] = []
    pos = 0
    for word in words:
        if not word:
            continue
        found = text.find(word, pos)
        if found < 0 or (found > pos and text[pos:found].strip()):
            raise UsageError(
                f"texts[{index}]: the segmenter returned {word!r}, which is not at character {pos} "
                f"of the text ({text[pos : pos + 20]!r}...)"
            )
        if found > pos:
            out.append(text[pos:found])
        out.append(word)
        pos = found + len(word)
    if pos < len(text):
        if text[pos:].strip():
            raise UsageError(f"texts[{index}]: the segmenter dropped {text[pos : pos + 20]!r} at character {pos}")
        out.append(text[pos:])
    return out


def split_long_text(text: str, max_chars: int | None) -> list[str]:
    """Split ``text`` into pieces of at most ``max_chars``, at sentence ends where one lies in the last 3/4.

    ``"".join(pieces) == text``; ``max_chars=None`` keeps the text whole.
    """
    if max_chars is None or len(text) <= max_chars:
        return [text]
    pieces, start = [], 0
    while len(text) - start > max_chars:
        window = text[start : start + max_chars]
        ends = [m.end() for m in _SENTENCE_END.finditer(window)]
        cut = ends[-1] if ends and ends[-1] > max_chars // 4 else max_chars
        pieces.append(text[start : start + cut])
        start += cut
    pieces.append(text[start:])
    return pieces


class Segmenter(ABC):
    """Splits texts into words. Subclasses implement ``_cut``; ``cut`` checks input and output."""

    name: str = "segmenter"

    def cut(self, texts: Sequence[str]) -> list[list[str]]:
        """Segment ``texts``; ``"".join(result[i]) == texts[i]`` for every item."""
        items = check_texts(texts)
        if not items:
            return []
        raw = self._cut(items)
        return [restore_text(text, words, i) for i, (text, words) in enumerate(zip(items, raw, strict=True))]

    @abstractmethod
    def _cut(self, texts: list[str]) -> list[list[str]]:
        """Segment checked, non-empty input. May drop whitespace; must keep everything else."""

    def user_words(self) -> frozenset[str]:
        """Words added by the user (dictionary or ``add_words``); empty when the backend has none."""
        return frozenset()

    def word_lengths(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The segmentation of ``texts`` as numbers: the length of every word, all texts laid end to end, and
        where each text starts in that layout. Whole-word masking reads words this way (``wwm_features``)."""
        words = self.cut(texts)
        lengths = np.fromiter((len(w) for ws in words for w in ws), dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum([len(t) for t in texts])[:-1])).astype(np.int64)
        return lengths, starts

    def cache_key(self) -> str:
        """A string that changes whenever segmentation output may change (used for dataset caching)."""
        return json.dumps({"name": self.name, "config": self._config()}, sort_keys=True, ensure_ascii=False)

    def _config(self) -> dict[str, Any]:
        return {}
