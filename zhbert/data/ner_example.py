"""The NER example every reader returns: a text and its entity spans, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass

from ..tagging.schemes import Span

__all__ = ["NerExample"]


@dataclass(frozen=True)
class NerExample:
    """One sentence with its entities.

    Attributes:
        text: the sentence.
        spans: ``(start, end, type)`` with ``[start, end)`` character offsets into ``text``, sorted.
        source: ``"file:line"`` where the sentence starts.
    """

    text: str
    spans: tuple[Span, ...]
    source: str
