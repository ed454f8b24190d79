"""``SpanTagger``: the ``EntityTagger`` of a model trained with the span head (``zhbert train ner --head span``).
``EntityTagger.from_pretrained`` and ``EntityTagger(model, tokenizer)`` give one for such a model by themselves.

    >>> tagger = EntityTagger.from_pretrained("runs/nested-span")
    >>> tagger.predict(["北京大学的学生"])
    [[Entity(text='北京大学', type='ORG', start=0, end=4, score=0.98), Entity(text='北京', type='LOC', ...)]]

Every (start, end, type) whose score is above 0 (a probability above 0.5) is an entity, so entities may nest and
overlap; each carries ``[start, end)`` offsets into the caller's string and its probability. A span starts at the
first token of a word and ends at the last token of one. Texts longer than the model's window run in overlapping
windows; each span is read from the one window where it sits farthest from the edges, so a span is never
reported twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from ..errors import UsageError
from ..text.chars import is_mark
from ..text.checks import check_texts
from ..text.pieces import WordPieces, word_pieces
from .onnx_model import OnnxModel
from .predictor import Predictor
from .tagger import Entity, EntityTagger

__all__ = ["SpanTagger", "best_window"]


def best_window(start: int, end: int, starts: Sequence[int], size: int, n: int) -> int:
    """The window (by its first token) that reads tokens ``start..end`` (inclusive) farthest from its edges: the
    largest ``min(start - a, a + k - 1 - end)`` over the windows ``[a, a + k)`` that hold the span; the earlier
    window on a tie. ``starts`` are the windows of a text of ``n`` tokens, ``size`` tokens each at most."""
    best, margin = -1, -1
    for a in starts:
        k = min(size, n - a)
        if a <= start and end < a + k:
            m = min(start - a, a + k - 1 - end)
            if m > margin:
                best, margin = a, m
    return best


class SpanTagger(EntityTagger):
    """An ``EntityTagger`` whose model scores spans (``zhbert.models.span_head``): ``predict`` returns entities
    that may nest or overlap. ``id2label`` holds the entity types; ``threshold`` is the score (a logit) above
    which a span is an entity.

    Raises:
        UsageError: an exported graph (a span model is not exported).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        device: str | torch.device | None = None,
        crf: Any = None,
        dtype: Any = None,
    ) -> None:
        if isinstance(model, OnnxModel) or crf is not None:
            raise UsageError("a span model runs from its PyTorch checkpoint, without a CRF", argument="model")
        Predictor.__init__(self, model, tokenizer, device, dtype)
        self.crf = None
        self.id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
        self.scheme = "span"
        self.fast = None
        self.numpy_decoding = None
        self.special_ids = (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id)
        self.threshold = 0.0

    per_word_labels = False

    def token_scores(self, pieces: Sequence[WordPieces], batch_size: int = 32) -> list[torch.Tensor]:
        raise UsageError("a span model scores spans, not tokens: use span_scores", argument="model")

    def token_probabilities(self, texts: Sequence[str], batch_size: int = 32) -> Any:
        raise UsageError("a span model gives no label distribution per word: it scores spans", argument="model")

    @torch.inference_mode()
    def span_scores(
        self, pieces: Sequence[WordPieces], batch_size: int = 32
    ) -> list[list[tuple[int, int, int, float]]]:
        """The spans scored above ``threshold`` in each text: ``(first token, last token, type id, score)``, token
        positions into the text's ``ids``, each span from the one window that reads it best (``best_window``)."""
        size = self.max_length - 2
        windows = [self._windows(len(p.ids)) if p.ids else [] for p in pieces]
        found: list[list[tuple[int, int, int, float]]] = [[] for _ in pieces]
        for batch, cpu in self._window_batches(pieces, batch_size):
            inputs = {k: v.to(self.device) for k, v in cpu.items()}
            logits = self.model(**inputs).logits.float()  # (b, E, T, T)
            text = inputs["attention_mask"].bool()  # (b, T): the text's tokens, not [CLS] or [SEP]
            text[:, 0] = False
            text[torch.arange(len(batch)), text.sum(1)] = False
            above = (logits > self.threshold) & text[:, None, :, None] & text[:, None, None, :]
            for (row, kind, s, e), value in zip(above.nonzero().tolist(), logits[above].tolist(), strict=True):
                i, a, _ = batch[row]
                start, end = a + s - 1, a + e - 1
                n = len(pieces[i].ids)
                if len(windows[i]) > 1 and best_window(start, end, windows[i], size, n) != a:
                    continue
                found[i].append((start, end, kind, value))
        return found

    def predict(self, texts: Sequence[str], batch_size: int = 32) -> list[list[Entity]]:
        """Entities of each text, ordered by start, then end, then type; they may nest and overlap.

        Raises:
            ValueError: a text is empty or only whitespace (there is nothing to tag), or ``batch_size`` is not a
                whole number >= 1.
        """
        items = check_texts(texts, nonempty=True)
        pieces = word_pieces(self.tokenizer, items)
        found = self.span_scores(pieces, batch_size)
        return [self._span_entities(text, p, spans) for text, p, spans in zip(items, pieces, found, strict=True)]

    def _span_entities(self, text: str, p: WordPieces, spans: list[tuple[int, int, int, float]]) -> list[Entity]:
        word_of_first = {t: w for w, t in enumerate(p.first)}
        word_of_last = {(p.first[w + 1] if w + 1 < len(p.first) else len(p.ids)) - 1: w for w in range(len(p.first))}
        entities = []
        for s, e, kind, value in spans:
            if s not in word_of_first or e not in word_of_last:
                continue  # inside a word: not a span of whole words
            start, end = p.word_start[word_of_first[s]], p.word_end[word_of_last[e]]
            while end < len(text) and is_mark(text[end]):  # the tokenizer drops combining marks
                end += 1
            probability = 0.5 * (1 + math.tanh(value / 2))  # the sigmoid, without overflow
            entities.append(Entity(text[start:end], self.id2label[kind], start, end, probability))
        return sorted(entities, key=lambda x: (x.start, x.end, x.type))


EntityTagger.heads["span"] = SpanTagger
