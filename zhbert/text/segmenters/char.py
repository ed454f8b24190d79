"""One word per character: the no-WWM (token-level masking) baseline."""

from __future__ import annotations

from .base import Segmenter

__all__ = ["CharSegmenter"]


class CharSegmenter(Segmenter):
    """Every character is its own word: the no-WWM (token-level masking) baseline."""

    name = "char"

    def _cut(self, texts: list[str]) -> list[list[str]]:
        return [list(text) for text in texts]
