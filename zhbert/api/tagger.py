"""``EntityTagger``: a fine-tuned token classifier (optionally with a CRF), list in, list out. Its labels may be
IOB2 (BIO), BIOES (BIES) or BMES: zhbert's own taggers are BIOES, checkpoints from elsewhere are often not. A
model trained with the span head gets a ``SpanTagger`` (``zhbert.api.span_tagger``), whose entities may nest.

    >>> tagger = EntityTagger.from_pretrained("runs/resume-ner")
    >>> tagger.predict(["高勇，男，中国国籍，无境外居留权。"])
    [[Entity(text='高勇', type='NAME', start=0, end=2, score=0.99), Entity(text='中国国籍', type='CONT', ...)]]

Entities carry ``[start, end)`` offsets into the caller's own string: ``text == original[start:end]`` for any
input. Texts longer than the model's window run in overlapping windows; each token takes its scores from the
window where it sits most centrally, and one Viterbi pass, held to the labels' scheme, decodes the whole text, so
an entity is never duplicated or broken at a window edge.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from ..models.crf_head import load_token_classifier
from ..models.fast_bert import FastBert
from ..tagging.numpy_viterbi import log_softmax, viterbi
from ..tagging.schemes import tags_to_spans
from ..tagging.viterbi import constrained_viterbi, scheme_constraints
from ..text.chars import is_mark
from ..text.checks import check_int, check_texts
from ..text.pieces import WordPieces, word_pieces
from .batching import length_batches, pad_batch
from .onnx_model import OnnxModel
from .predictor import Predictor

__all__ = ["Entity", "EntityTagger", "TokenProbabilities"]

# Texts per Viterbi call, grouped by length: on Resume NER's test set (477 texts, up to 163 words) one call over
# all of them took 73 ms (bf16 tagger, 2 cores), most of it stepping short texts through the longest one's
# positions; groups of 16, 32, 64 and 128 took 56, 35, 30 and 48 ms, with the same paths.
DECODE_ROWS = 64


@dataclass(frozen=True)
class Entity:
    text: str
    type: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class TokenProbabilities:
    """Each word's label distribution in one text: ``probs[i]`` (over the tagger's labels, in id order) belongs to
    the word at ``[starts[i], ends[i])`` (``EntityTagger.token_probabilities`` says how it is computed).

    Attributes:
        starts: character offset where each word starts.
        ends: character offset where each word ends.
        probs: ``(words, labels)`` float32 probabilities.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    probs: np.ndarray


class EntityTagger(Predictor):
    """A fine-tuned token classifier (optionally with a CRF); ``predict`` returns entities per text.

    ``dtype`` (``"bf16"``, ``"float32"`` or a torch dtype) casts the encoder's weights; ``None`` picks bf16 on a
    CPU with bf16 instructions or a GPU that supports it, float32 elsewhere (``zhbert.models.precision``). The CRF
    and the decoding stay float32.

    Raises:
        UsageError: at construction, when the model's labels are no tag scheme zhbert reads (``LABEL_0``, say).
    """

    # config.zhbert_head -> the tagger that reads such a model; zhbert.api.span_tagger adds "span"
    heads: ClassVar[dict[str, type[EntityTagger]]] = {}

    def __new__(cls, model: Any, *args: Any, **kwargs: Any) -> EntityTagger:
        # A model trained with another head (the span head) gets the tagger that reads it.
        head = getattr(getattr(model, "config", None), "zhbert_head", None)
        if cls is EntityTagger and head in cls.heads:
            return super().__new__(cls.heads[head])
        return super().__new__(cls)

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        device: str | torch.device | None = None,
        crf: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(model, tokenizer, device, dtype)
        self.crf = crf if crf is not None else getattr(model, "crf", None)
        if self.crf is not None:
            self.crf = self.crf.to(device=self.device, dtype=torch.float32)
        self.id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
        # The decoder keeps to the labels' own scheme (BIOES for zhbert's taggers; IOB2, BMES for others').
        self.scheme, constraints = scheme_constraints(self.id2label)
        self.constraints = tuple(c.to(self.device) for c in constraints)
        self.fast = FastBert.for_model(self.model)  # None: the model's own forward
        # An exported model decodes in NumPy, with the scheme's masks and the CRF's scores saved beside its graph.
        self.numpy_decoding = model.decoding if isinstance(model, OnnxModel) else None
        # [CLS], [SEP] and [PAD]: read once (each is a Python property lookup on the tokenizer)
        self.special_ids = (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id)

    export_kind = "token-classification"
    # Whether the model gives each word a label distribution (``token_probabilities``); a span head does not.
    per_word_labels = True

    @classmethod
    def load_model(cls, path: str | os.PathLike[str]) -> Any:
        return load_token_classifier(path)

    @property
    def window(self) -> int:
        """Deprecated: the text tokens one model call reads, ``max_length - 2``; use ``max_length``."""
        warnings.warn("EntityTagger.window is deprecated: use max_length (= window + 2)", DeprecationWarning, 2)
        return self.max_length - 2

    @window.setter
    def window(self, tokens: int) -> None:
        warnings.warn("EntityTagger.window is deprecated: set max_length (= window + 2)", DeprecationWarning, 2)
        self.max_length = tokens + 2

    def _windows(self, n: int) -> list[int]:
        """Where each window of a text of ``n`` tokens starts; a window holds ``max_length - 2`` of them."""
        size = self.max_length - 2
        if n <= size:
            return [0]
        step = max(1, size // 2)
        starts = [*range(0, n - size, step), n - size]
        return sorted(set(starts))

    def _window_batches(
        self, pieces: Sequence[WordPieces], batch_size: int
    ) -> Iterator[tuple[list[tuple[int, int, list[int]]], dict[str, torch.Tensor]]]:
        """The windows of every text, ``(text index, window start, token ids)``, shortest first, cut into model
        calls: each call's windows with their padded ``[CLS] ... [SEP]`` inputs, on the CPU."""
        check_int(batch_size, "batch_size", 1)
        cls_id, sep_id, pad_id = self.special_ids
        size = self.max_length - 2
        jobs = [(i, a, p.ids[a : a + size]) for i, p in enumerate(pieces) if p.ids for a in self._windows(len(p.ids))]
        jobs.sort(key=lambda job: len(job[2]))
        for batch_idx in length_batches(
            range(len(jobs)), [len(j[2]) + 2 for j in jobs], batch_size, self.tokens_per_call
        ):
            batch = [jobs[j] for j in batch_idx]
            yield batch, pad_batch([[cls_id, *ids, sep_id] for _, _, ids in batch], pad_id)

    @torch.inference_mode()
    def token_scores(self, pieces: Sequence[WordPieces], batch_size: int = 32) -> list[torch.Tensor]:
        """Per-token emission scores (n_tokens, L) of each text, stitched from overlapping windows."""
        labels = len(self.id2label)
        scores = [torch.empty(0, labels) for _ in pieces]
        centrality: dict[int, torch.Tensor] = {}  # of the texts read in more than one window
        fast = self.fast if self.fast is not None and not self.model.training else None
        for batch, cpu in self._window_batches(pieces, batch_size):
            inputs = {k: v.to(self.device) for k, v in cpu.items()}
            if fast is not None:
                packed = fast(**inputs).float().cpu()  # (real tokens, L)
            else:
                padded = self.model(**inputs).logits.float().cpu()  # (b, width, L)
                packed = padded[cpu["attention_mask"].bool()]
            offset = 0  # where row r's [CLS] sits in ``packed``
            for i, a, ids in batch:
                k = len(ids)
                rows = packed[offset + 1 : offset + k + 1]
                offset += k + 2
                n = len(pieces[i].ids)
                if k == n:  # the whole text in one window
                    scores[i] = rows
                    continue
                if i not in centrality:
                    scores[i] = torch.empty(n, labels)
                    centrality[i] = torch.full((n,), -1.0)
                pos = torch.arange(k, dtype=torch.float32)
                central = torch.minimum(pos, k - 1 - pos)  # distance to the window's nearer edge
                better = central > centrality[i][a : a + k]
                scores[i][a : a + k][better] = rows[better]
                centrality[i][a : a + k][better] = central[better]
        return scores

    def predict(self, texts: Sequence[str], batch_size: int = 32) -> list[list[Entity]]:
        """Entities of each text, in order of position; they never overlap.

        Raises:
            ValueError: a text is empty or only whitespace (there is nothing to tag), or ``batch_size`` is not a
                whole number >= 1.
        """
        items = check_texts(texts, nonempty=True)
        pieces = word_pieces(self.tokenizer, items)
        scores = self.token_scores(pieces, batch_size)
        # (words, L) per text; a text whose every token is a word of its own (most Chinese) needs no gathering.
        word_scores = [s if len(p.first) == len(p.ids) else s[p.first] for s, p in zip(scores, pieces, strict=True)]
        decoded = self._decode(word_scores)
        return [
            self._entities(text, p, path, chosen)
            for text, p, (path, chosen) in zip(items, pieces, decoded, strict=True)
        ]

    def token_probabilities(self, texts: Sequence[str], batch_size: int = 32) -> list[TokenProbabilities]:
        """Each word's label distribution in each text: with a CRF (PyTorch), its marginals (the probability of
        the label at the word over all label paths, transitions included); without one, or for an exported
        model, the softmax of the word's scores. What label-error finding (``zhbert evaluate --report``) reads.

        Raises:
            ValueError: as ``predict``.
        """
        items = check_texts(texts, nonempty=True)
        pieces = word_pieces(self.tokenizer, items)
        scores = self.token_scores(pieces, batch_size)
        words = [s if len(p.first) == len(p.ids) else s[p.first] for s, p in zip(scores, pieces, strict=True)]
        probs = [w.softmax(-1) for w in words]  # (words, L) each
        if self.crf is not None and self.numpy_decoding is None:
            lengths = [len(w) for w in words]
            for group in length_batches(sorted(range(len(words)), key=lengths.__getitem__), lengths, DECODE_ROWS):
                longest = max(max(lengths[r] for r in group), 1)
                batch = torch.zeros(len(group), longest, len(self.id2label))  # (B, W, L)
                for row, r in enumerate(group):
                    batch[row, : lengths[r]] = words[r]
                mask = torch.arange(longest)[None, :] < torch.tensor([lengths[r] for r in group])[:, None]
                marginals = self.crf.marginals(batch.to(self.device), mask.to(self.device)).cpu()
                marginals = marginals.clamp(0.0, 1.0)  # a gradient's rounding can step just outside
                marginals = marginals / marginals.sum(-1, keepdim=True).clamp_min(1e-12)
                for row, r in enumerate(group):
                    probs[r] = marginals[row, : lengths[r]]
        return [
            TokenProbabilities(tuple(p.word_start), tuple(p.word_end), prob.numpy())
            for p, prob in zip(pieces, probs, strict=True)
        ]

    def _decode(self, word_scores: list[torch.Tensor], rows: int = DECODE_ROWS) -> list[tuple[list[int], list[float]]]:
        """Label ids of each text's best path, and the probability of each word's label there (the softmax of the
        word's scores). Texts are decoded in groups of ``rows`` of similar length, so a short text does not step
        through the positions of the longest (each row's path is the same either way)."""
        lengths = [len(s) for s in word_scores]
        decoded: list[tuple[list[int], list[float]]] = [([], []) for _ in word_scores]
        for group in length_batches(sorted(range(len(lengths)), key=lengths.__getitem__), lengths, rows):
            for r, result in zip(group, self._decode_group([word_scores[r] for r in group]), strict=True):
                decoded[r] = result
        return decoded

    def _decode_group(self, word_scores: list[torch.Tensor]) -> list[tuple[list[int], list[float]]]:
        if not word_scores:
            return []
        if self.numpy_decoding is not None:
            return self._decode_group_numpy(word_scores)
        longest = max((len(s) for s in word_scores), default=0)
        labels = len(self.id2label)
        raw = torch.zeros(len(word_scores), max(longest, 1), labels)
        for r, s in enumerate(word_scores):
            raw[r, : len(s)] = s
        batch = raw if self.crf is not None else raw.log_softmax(-1)  # padded positions are never read
        lengths = torch.tensor([len(s) for s in word_scores])
        if self.crf is not None:
            mask = torch.arange(batch.shape[1])[None, :] < lengths[:, None]
            paths = list(self.crf.decode(batch.to(self.device), mask.to(self.device)))
        else:
            paths = constrained_viterbi(batch.to(self.device), lengths.to(self.device), self.constraints)
        at = torch.zeros(raw.shape[:2], dtype=torch.long)  # padded positions take label 0 and are cut below
        for r, path in enumerate(paths):
            at[r, : len(path)] = torch.tensor(path, dtype=torch.long)
        chosen = raw.softmax(-1).gather(2, at[:, :, None])[:, :, 0].tolist()
        return [(path, row[: len(path)]) for path, row in zip(paths, chosen, strict=True)]

    def _decode_group_numpy(self, word_scores: list[torch.Tensor]) -> list[tuple[list[int], list[float]]]:
        """``_decode_group`` after an exported graph: the vectorised NumPy Viterbi, no torch."""
        rules: Any = self.numpy_decoding
        lengths = np.array([len(s) for s in word_scores])
        if len(word_scores) == 1 and lengths[0]:
            raw = word_scores[0].numpy()[None]  # (1, W, L)
        else:
            raw = np.zeros((len(word_scores), max(int(lengths.max()), 1), len(self.id2label)), np.float32)  # (B, W, L)
            for r, s in enumerate(word_scores):
                raw[r, : len(s)] = s.numpy()
        logp = log_softmax(raw)
        paths = viterbi(raw if rules.crf else logp, lengths, rules.start, rules.transitions, rules.end)
        out = []
        for r, path in enumerate(paths):
            chosen = np.exp(logp[r, np.arange(len(path)), path]).tolist()
            out.append((path, chosen))
        return out

    def _entities(self, text: str, p: WordPieces, path: list[int], chosen: list[float]) -> list[Entity]:
        # Spans over words. The decoder's constraints make the path valid in its scheme; ``fix`` only matters for a
        # CRF passed in without them, whose path is then read as lenient decoders do.
        labels = [self.id2label[label_id] for label_id in path]
        spans = tags_to_spans(labels, self.scheme, fix=True)
        entities = []
        for i, (first, stop, kind) in enumerate(spans):
            start, end = p.word_start[first], p.word_end[stop - 1]
            # The tokenizer drops combining marks (accents, variation selectors): an entity keeps those of its last
            # character, up to where the next entity starts.
            limit = p.word_start[spans[i + 1][0]] if i + 1 < len(spans) else len(text)
            while end < limit and is_mark(text[end]):
                end += 1
            score = math.fsum(chosen[first:stop]) / (stop - first)
            entities.append(Entity(text[start:end], kind, start, end, score if math.isfinite(score) else 0.0))
        return entities
