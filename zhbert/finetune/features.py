"""NER training features: character spans -> word-level BIOES labels on the first piece of every word.

A sentence longer than the model's window is split into pieces at word boundaries that fall outside every
entity (after punctuation where possible), so no text and no entity is lost to truncation.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from ..tagging.schemes import Span, spans_to_tags
from ..text.pieces import word_pieces

__all__ = ["ner_features", "word_spans"]

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
