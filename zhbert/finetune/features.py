"""NER training features: character spans -> word-level BIOES labels on the first piece of every word, or, for
the span head, (type, start token, end token) triples that may nest, and their collator.

A sentence longer than the model's window is split into pieces at word boundaries that fall outside every
entity (after punctuation where possible), so no text and no entity is lost to truncation.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from ..tagging.schemes import Span, spans_to_tags
from ..text.pieces import word_pieces

if TYPE_CHECKING:
    import torch

__all__ = ["SpanCollator", "ner_features", "span_features", "word_spans"]

logger = logging.getLogger(__name__)
_BREAK_AFTER = set("。！？；，、,.!?;：:")


def word_spans(spans: Sequence[Span], word_start: list[int], word_end: list[int]) -> list[tuple[int, int, str]]:
    """Map character spans to inclusive word spans; entities covering no word, or a word already taken, are dropped."""
    out: list[tuple[int, int, str]] = []
    taken = -1
    for start, end, kind in sorted(spans):
        first = bisect.bisect_right(word_end, start)  # first word ending after the span starts
        last = bisect.bisect_left(word_start, end) - 1  # last word starting before the span ends
        if first > last or first <= taken:
            continue
        out.append((first, last, kind))
        taken = last
    return out


def _cuts(text: str, inside: set[int], first: list[int], n_tokens: int, word_start: list[int], limit: int) -> list[int]:
    """Word indices where pieces start, so that each piece has at most ``limit`` tokens; ``inside`` holds the
    words that continue an entity, where a cut would break it."""
    cuts = [0]
    n_words = len(first)
    while True:
        start = cuts[-1]
        token_start = first[start]
        if n_tokens - token_start <= limit:
            return cuts
        # The last word that still fits, then back off to a boundary outside entities, after punctuation if any.
        fitting = [
            w for w in range(start + 1, n_words + 1) if (first[w] if w < n_words else n_tokens) - token_start <= limit
        ]
        fits = fitting[-1] if fitting else start + 1  # one word longer than the window: it is clipped below
        free = [w for w in range(start + 1, fits + 1) if w == n_words or w not in inside]
        if not free:
            free = [fits]  # an entity longer than the window: cut it
        after_punct = [w for w in free if text[word_start[w] - 1 : word_start[w]] in _BREAK_AFTER] if free else []
        cuts.append((after_punct or free)[-1])


def ner_features(
    texts: Sequence[str],
    spans: Sequence[Sequence[Span]],
    tokenizer: Any,
    label2id: dict[str, int],
    max_length: int = 512,
    scheme: str = "BIOES",
) -> list[dict[str, list[int]]]:
    """Features for a token classifier: ``input_ids``, ``attention_mask``, ``token_type_ids`` and ``labels``
    (the label id on the first piece of each word, -100 elsewhere), with word labels in ``scheme`` (zhbert's
    taggers are BIOES; ``"IOB2"`` and ``"BMES"`` make the labels other tools use)."""
    pieces = word_pieces(tokenizer, list(texts))
    limit = max_length - 2
    out = []
    dropped = 0
    for text, text_spans, p in zip(texts, spans, pieces, strict=True):
        entities = word_spans(text_spans, p.word_start, p.word_end)
        dropped += len(text_spans) - len(entities)
        tags = spans_to_tags([(first, last + 1, kind) for first, last, kind in entities], len(p.first), scheme)
        if not p.ids:
            continue
        token_label = [-100] * len(p.ids)
        for w, t in enumerate(p.first):
            token_label[t] = label2id[tags[w]]
        inside = {w for first, last, _ in entities for w in range(first + 1, last + 1)}
        cuts = _cuts(text, inside, p.first, len(p.ids), p.word_start, limit)
        bounds = [p.first[c] for c in cuts] + [len(p.ids)]
        for a, b in pairwise(bounds):
            b = min(b, a + limit)
            ids = p.ids[a:b]
            out.append(
                {
                    "input_ids": [tokenizer.cls_token_id, *ids, tokenizer.sep_token_id],
                    "attention_mask": [1] * (len(ids) + 2),
                    "token_type_ids": [0] * (len(ids) + 2),
                    "labels": [-100, *token_label[a:b], -100],
                }
            )
    if dropped:
        logger.warning("%d entities cover no token or share a word with another entity; they were left out", dropped)
    return out


def span_features(
    texts: Sequence[str],
    spans: Sequence[Sequence[Span]],
    tokenizer: Any,
    type2id: dict[str, int],
    max_length: int = 512,
) -> list[dict[str, list[int]]]:
    """Features for a span head: ``input_ids``, ``attention_mask``, ``token_type_ids`` and ``labels``, the gold
    entities flattened as ``[type id, start token, end token, ...]`` (inclusive token positions in the window,
    [CLS] at 0), which :class:`SpanCollator` turns into the (types, T, T) target. Entities may nest and overlap;
    a long sentence is cut as :func:`ner_features` cuts it, outside every entity where it can be."""
    pieces = word_pieces(tokenizer, list(texts))
    limit = max_length - 2
    out = []
    dropped = 0
    for text, text_spans, p in zip(texts, spans, pieces, strict=True):
        if not p.ids:
            continue
        entities = set()
        for start, end, kind in text_spans:
            first = bisect.bisect_right(p.word_end, start)
            last = bisect.bisect_left(p.word_start, end) - 1
            if first > last:
                dropped += 1
                continue
            entities.add((p.first[first], (p.first[last + 1] if last + 1 < len(p.first) else len(p.ids)) - 1, kind))
        inside = {w for s, e, _ in entities for w in range(len(p.first)) if s < p.first[w] <= e}
        cuts = _cuts(text, inside, p.first, len(p.ids), p.word_start, limit)
        bounds = [p.first[c] for c in cuts] + [len(p.ids)]
        for a, b in pairwise(bounds):
            b = min(b, a + limit)
            ids = p.ids[a:b]
            labels = []
            for s, e, kind in sorted(entities):
                if a <= s and e < b:
                    labels += [type2id[kind], s - a + 1, e - a + 1]
                elif a <= s < b or a <= e < b:
                    dropped += 1  # cut by the window: only an entity longer than the window is
            out.append(
                {
                    "input_ids": [tokenizer.cls_token_id, *ids, tokenizer.sep_token_id],
                    "attention_mask": [1] * (len(ids) + 2),
                    "token_type_ids": [0] * (len(ids) + 2),
                    "labels": labels,
                }
            )
    if dropped:
        logger.warning("%d entities cover no token or were cut by the window; they were left out", dropped)
    return out


@dataclass
class SpanCollator:
    """Pads a batch of :func:`span_features` and builds the span head's target: ``labels`` (B, types, T, T),
    1 at each gold (type, start, end) and 0 elsewhere (int8: integer labels, so the trainer does not read them
    as soft labels)."""

    tokenizer: Any
    types: int

    def __post_init__(self) -> None:
        if self.types < 1:
            raise ValueError(f"types must be >= 1, got {self.types}")

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        pad = self.tokenizer.pad_token_id or 0
        batch = {
            key: torch.tensor([list(f[key]) + [fill] * (width - len(f[key])) for f in features], dtype=torch.long)
            for key, fill in (("input_ids", pad), ("attention_mask", 0), ("token_type_ids", 0))
        }
        target = torch.zeros(len(features), self.types, width, width, dtype=torch.int8)  # (B, E, T, T)
        for row, f in enumerate(features):
            gold = torch.tensor(list(f["labels"]), dtype=torch.long).view(-1, 3)
            target[row, gold[:, 0], gold[:, 1], gold[:, 2]] = 1
        batch["labels"] = target
        return batch
