"""The Python API: ``TextClassifier`` and ``EntityTagger``, list in, list out.

    >>> tagger = EntityTagger.from_pretrained("runs/resume-ner")
    >>> tagger.predict(["高勇，男，中国国籍，无境外居留权。"])
    [[Entity(text='高勇', type='NAME', start=0, end=2, score=0.99), Entity(text='中国国籍', type='CONT', ...)]]

Entities carry ``[start, end)`` offsets into the caller's own string: ``text == original[start:end]`` for any
input. Texts longer than the model's window run in overlapping windows; each token takes its scores from the
window where it sits most centrally, and one BIOES-constrained Viterbi pass over the whole text decodes them, so
an entity is never duplicated or broken at a window edge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .decode import bioes_constraints, constrained_viterbi
from .fast_forward import FastBert
from .segment import check_texts

__all__ = ["Classification", "Entity", "EntityTagger", "TextClassifier", "length_batches", "word_pieces"]

CPU_TOKENS_PER_CALL = 2048


@dataclass(frozen=True)
class Classification:
    label: str
    score: float
    scores: dict[str, float]


@dataclass(frozen=True)
class Entity:
    text: str
    type: str
    start: int
    end: int
    score: float


def _device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _window(model: Any, tokenizer: Any) -> int:
    """Tokens per model call: the length the model was fine-tuned with, within its positions."""
    limits = [getattr(model.config, "max_position_embeddings", 512), 512]
    trained = getattr(model.config, "zhbert_max_length", None)
    if trained:
        limits.append(int(trained))
    if getattr(tokenizer, "model_max_length", None) and tokenizer.model_max_length < 100_000:
        limits.append(int(tokenizer.model_max_length))
    return min(limits)


class TextClassifier:
    """A fine-tuned sequence classifier; ``predict`` returns one ``Classification`` per text.

    Texts run in length-sorted batches of at most ``batch_size``, and on CPU of at most ``tokens_per_call``
    padded tokens. A stock BERT classifier runs through ``zhbert.fast_forward.FastBert``: no padding in its dense
    layers and a last layer at [CLS] alone, the only position its head reads; the same scores as the model's own
    forward, with less work. Any other model runs its own forward.
    """

    def __init__(self, model: Any, tokenizer: Any, device: str | torch.device | None = None) -> None:
        self.device = _device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.labels = [str(model.config.id2label[i]) for i in range(model.config.num_labels)]
        self.max_length = _window(model, tokenizer)
        self.fast = FastBert.for_model(self.model)  # None: the model's own forward
        # On CPU, at most this many padded tokens per call: 1.08x the texts/s of no cap in docs/benchmarks.md.
        self.tokens_per_call: int | None = CPU_TOKENS_PER_CALL if self.device.type == "cpu" else None

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | torch.device | None = None) -> TextClassifier:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        return cls(
            AutoModelForSequenceClassification.from_pretrained(str(path)),
            AutoTokenizer.from_pretrained(str(path)),
            device,
        )

    def predict(
        self, texts: Sequence[str], batch_size: int = 32, text_pairs: Sequence[str] | None = None
    ) -> list[Classification]:
        """Classify ``texts`` (optionally with ``text_pairs``); the result has one entry per text, in order."""
        items = check_texts(texts)
        pairs = check_texts(text_pairs, "text_pairs") if text_pairs is not None else None
        if pairs is not None and len(pairs) != len(items):
            raise ValueError(f"text_pairs has {len(pairs)} items but texts has {len(items)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        # One tokenizer call for all texts (the Rust tokenizer batches them), then batches of similar token length.
        enc = self.tokenizer(items, pairs, truncation=True, max_length=self.max_length)
        ids, types = enc["input_ids"], enc.get("token_type_ids")
        order = sorted(range(len(items)), key=lambda i: len(ids[i]))
        pad = self.tokenizer.pad_token_id or 0
        probs: list[list[float]] = [[] for _ in items]
        with torch.inference_mode():
            for idx in length_batches(order, [len(x) for x in ids], batch_size, self.tokens_per_call):
                batch = _pad_batch([ids[i] for i in idx], pad, [types[i] for i in idx] if types is not None else None)
                batch = {k: v.to(self.device) for k, v in batch.items()}
                if self.fast is not None and not self.model.training:
                    logits = self.fast(**batch).float()  # (b, labels)
                else:
                    logits = self.model(**batch).logits.float()
                for i, row in zip(idx, logits.softmax(-1).tolist(), strict=True):
                    probs[i] = row
        out = []
        for row in probs:
            best = max(range(len(row)), key=row.__getitem__)
            out.append(Classification(self.labels[best], row[best], dict(zip(self.labels, row, strict=True))))
        return out


def _pad_batch(rows: list[list[int]], pad: int, types: list[list[int]] | None = None) -> dict[str, torch.Tensor]:
    """``input_ids`` and ``attention_mask`` (and ``token_type_ids`` when ``types`` is given), right-padded."""
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    token_types = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        input_ids[r, : len(row)] = torch.tensor(row)
        mask[r, : len(row)] = 1
        if types is not None:
            token_types[r, : len(row)] = torch.tensor(types[r])
    batch = {"input_ids": input_ids, "attention_mask": mask}
    if types is not None:
        batch["token_type_ids"] = token_types
    return batch


def length_batches(
    order: Sequence[int], lengths: Sequence[int], batch_size: int, tokens: int | None = None
) -> list[list[int]]:
    """Split ``order`` (indices sorted by ascending length) into runs of at most ``batch_size`` items whose
    padded size (items x longest) stays within ``tokens``; an item longer than ``tokens`` runs alone."""
    batches: list[list[int]] = []
    for i in order:
        if (
            batches
            and len(batches[-1]) < batch_size
            and (tokens is None or (len(batches[-1]) + 1) * lengths[i] <= tokens)
        ):
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def word_pieces(tokenizer: Any, texts: list[str]) -> list[dict[str, list[int]]]:
    """Tokens of each text (no special tokens, no truncation) grouped into tokenizer words.

    Returns per text: ``ids``, ``starts``/``ends`` (character offsets per token) and ``first`` (index of the first
    token of each word) with ``word_start``/``word_end`` (character span of each word).
    """
    if not texts:
        return []
    enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
    out = []
    for i in range(len(texts)):
        ids = enc["input_ids"][i]
        offsets = enc["offset_mapping"][i]
        words = enc.word_ids(i)
        first, word_start, word_end = [], [], []
        previous = None
        for t, w in enumerate(words):
            if w != previous or previous is None:
                first.append(t)
                word_start.append(offsets[t][0])
                word_end.append(offsets[t][1])
            else:
                word_end[-1] = offsets[t][1]
            previous = w
        out.append(
            {
                "ids": ids,
                "starts": [o[0] for o in offsets],
                "ends": [o[1] for o in offsets],
                "first": first,
                "word_start": word_start,
                "word_end": word_end,
            }
        )
    return out


class EntityTagger:
    """A fine-tuned BIOES token classifier (optionally with a CRF); ``predict`` returns entities per text."""

    def __init__(self, model: Any, tokenizer: Any, device: str | torch.device | None = None, crf: Any = None) -> None:
        self.device = _device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.crf = crf if crf is not None else getattr(model, "crf", None)
        if self.crf is not None:
            self.crf = self.crf.to(self.device)
        self.id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
        self.constraints = tuple(c.to(self.device) for c in bioes_constraints(self.id2label))
        self.window = _window(model, tokenizer) - 2
        self.fast = FastBert.for_model(self.model)  # None: the model's own forward
        self.tokens_per_call: int | None = CPU_TOKENS_PER_CALL if self.device.type == "cpu" else None

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | torch.device | None = None) -> EntityTagger:
        from transformers import AutoTokenizer

        from .modeling import load_token_classifier

        model = load_token_classifier(path)
        return cls(model, AutoTokenizer.from_pretrained(str(path)), device)

    def _windows(self, n: int) -> list[int]:
        if n <= self.window:
            return [0]
        step = max(1, self.window // 2)
        starts = [*range(0, n - self.window, step), n - self.window]
        return sorted(set(starts))

    @torch.inference_mode()
    def token_scores(self, pieces: list[dict[str, list[int]]], batch_size: int = 32) -> list[torch.Tensor]:
        """Per-token emission scores (n_tokens, L) of each text, stitched from overlapping windows."""
        cls_id, sep_id, pad_id = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id, self.tokenizer.pad_token_id
        jobs = []  # (text index, window start, token ids)
        for i, p in enumerate(pieces):
            n = len(p["ids"])
            if n:
                for a in self._windows(n):
                    jobs.append((i, a, p["ids"][a : a + self.window]))
        jobs.sort(key=lambda job: len(job[2]))
        scores = [torch.empty(len(p["ids"]), len(self.id2label)) for p in pieces]
        centrality = [torch.full((len(p["ids"]),), -1.0) for p in pieces]
        fast = self.fast if self.fast is not None and not self.model.training else None
        for batch_idx in length_batches(
            range(len(jobs)), [len(j[2]) + 2 for j in jobs], batch_size, self.tokens_per_call
        ):
            batch = [jobs[j] for j in batch_idx]
            cpu = _pad_batch([[cls_id, *ids, sep_id] for _, _, ids in batch], pad_id)
            inputs = {k: v.to(self.device) for k, v in cpu.items()}
            if fast is not None:
                packed = fast(**inputs).float().cpu()  # (real tokens, L)
            else:
                padded = self.model(**inputs).logits.float().cpu()  # (b, width, L)
                packed = padded[cpu["attention_mask"].bool()]
            offset = 0  # where row r's [CLS] sits in ``packed``
            for i, a, ids in batch:
                k = len(ids)
                pos = torch.arange(k, dtype=torch.float32)
                central = torch.minimum(pos, k - 1 - pos)  # distance to the window's nearer edge
                better = central > centrality[i][a : a + k]
                scores[i][a : a + k][better] = packed[offset + 1 : offset + k + 1][better]
                centrality[i][a : a + k][better] = central[better]
                offset += k + 2
        return scores

    def predict(self, texts: Sequence[str], batch_size: int = 32) -> list[list[Entity]]:
        """Entities of each text, in order of position; they never overlap."""
        items = check_texts(texts)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        pieces = word_pieces(self.tokenizer, items)
        scores = self.token_scores(pieces, batch_size)
        word_scores = [s[p["first"]] for s, p in zip(scores, pieces, strict=True)]  # (words, L) per text
        paths = self._decode(word_scores)
        out = []
        for text, p, path, ws in zip(items, pieces, paths, word_scores, strict=True):
            # The probability of each word's decoded label, from the softmax of its scores.
            chosen = ws.softmax(-1).gather(1, torch.tensor(path, dtype=torch.long)[:, None])[:, 0] if path else ws[:, 0]
            out.append(self._entities(text, p, path, chosen.tolist()))
        return out

    def _decode(self, word_scores: list[torch.Tensor]) -> list[list[int]]:
        if not word_scores:
            return []
        longest = max((len(s) for s in word_scores), default=0)
        labels = len(self.id2label)
        batch = torch.zeros(len(word_scores), max(longest, 1), labels)
        for r, s in enumerate(word_scores):
            batch[r, : len(s)] = s if self.crf is not None else s.log_softmax(-1)
        lengths = torch.tensor([len(s) for s in word_scores])
        if self.crf is not None:
            mask = torch.arange(batch.shape[1])[None, :] < lengths[:, None]
            return list(self.crf.decode(batch.to(self.device), mask.to(self.device)))
        return constrained_viterbi(batch.to(self.device), lengths.to(self.device), self.constraints)

    def _entities(self, text: str, p: dict[str, list[int]], path: list[int], chosen: list[float]) -> list[Entity]:
        entities = []
        open_at: int | None = None
        for w, label_id in enumerate(path):
            label = self.id2label[label_id]
            prefix, _, kind = label.partition("-")
            if prefix in ("B", "S"):
                open_at = w
            if prefix in ("E", "S") and open_at is not None:
                start, end = p["word_start"][open_at], p["word_end"][w]
                score = math.fsum(chosen[open_at : w + 1]) / (w + 1 - open_at)
                entities.append(Entity(text[start:end], kind, start, end, score if math.isfinite(score) else 0.0))
                open_at = None
            if prefix == "O":
                open_at = None
        return entities
