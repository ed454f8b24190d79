"""``TextClassifier``: a fine-tuned sequence classifier, list in, list out.

>>> classifier = TextClassifier.from_pretrained("runs/senti")
>>> classifier.predict(["味道很好，送餐也很快。"])
[Classification(label='正面', score=0.97, scores={'负面': 0.03, '正面': 0.97}, truncated=False)]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..errors import UsageError
from ..models.fast_bert import FastBert
from ..models.loading import check_architecture, load_pretrained
from ..text.checks import check_int, check_texts
from .batching import length_batches, pad_batch
from .predictor import Predictor

__all__ = ["Classification", "TextClassifier"]


@dataclass(frozen=True)
class Classification:
    """The most probable label, its probability, every label's probability, and whether the text (or its pair)
    was longer than the model's window and cut to fit: the model then saw only its beginning."""

    label: str
    score: float
    scores: dict[str, float]
    truncated: bool = False


class TextClassifier(Predictor):
    """A fine-tuned sequence classifier; ``predict`` returns one ``Classification`` per text.

    Texts run in length-sorted batches of at most ``batch_size``, and on CPU of at most ``tokens_per_call``
    padded tokens. A stock BERT classifier runs through ``zhbert.models.FastBert``: no padding in its dense
    layers and a last layer at [CLS] alone, the only position its head reads; the same scores as the model's own
    forward, with less work. Any other model runs its own forward.

    ``dtype`` (``"bf16"``, ``"float32"`` or a torch dtype) casts the model's weights; ``None`` picks bf16 on a CPU
    with bf16 instructions or a GPU that supports it, float32 elsewhere (``zhbert.models.precision``). Scores are
    float32 either way.
    """

    def __init__(self, model: Any, tokenizer: Any, device: str | torch.device | None = None, dtype: Any = None) -> None:
        super().__init__(model, tokenizer, device, dtype)
        self.labels = [str(model.config.id2label[i]) for i in range(model.config.num_labels)]
        self.fast = FastBert.for_model(self.model)  # None: the model's own forward

    export_kind = "sequence-classification"

    @classmethod
    def load_model(cls, path: str | os.PathLike[str]) -> Any:
        from transformers import AutoModelForSequenceClassification

        check_architecture(path, ("ForSequenceClassification",), "a sequence classifier (zhbert train classify)")
        return load_pretrained(AutoModelForSequenceClassification, path)

    def predict(
        self, texts: Sequence[str], batch_size: int = 32, text_pairs: Sequence[str] | None = None
    ) -> list[Classification]:
        """Classify ``texts`` (optionally with ``text_pairs``); the result has one entry per text, in order.

        Raises:
            ValueError: a text (or pair) is empty or only whitespace, or ``batch_size`` is not a whole number >= 1.
        """
        items = check_texts(texts, nonempty=True)
        pairs = check_texts(text_pairs, "text_pairs", nonempty=True) if text_pairs is not None else None
        if pairs is not None and len(pairs) != len(items):
            raise UsageError(f"text_pairs has {len(pairs)} items but texts has {len(items)}")
        check_int(batch_size, "batch_size", 1)
        if not items:
            return []
        # One tokenizer call for all texts (the Rust tokenizer batches them), then batches of similar token length.
        enc = self.tokenizer(items, pairs, truncation=True, max_length=self.max_length)
        ids, types = enc["input_ids"], enc.get("token_type_ids")
        if enc.encodings is not None:  # a fast tokenizer keeps what truncation cut off
            cut = [bool(e.overflowing) for e in enc.encodings]
        else:
            full = self.tokenizer(items, pairs, verbose=False)["input_ids"]
            cut = [len(row) > self.max_length for row in full]
        order = sorted(range(len(items)), key=lambda i: len(ids[i]))
        pad = self.tokenizer.pad_token_id or 0
        probs: list[list[float]] = [[] for _ in items]
        with torch.inference_mode():
            for idx in length_batches(order, [len(x) for x in ids], batch_size, self.tokens_per_call):
                batch = pad_batch([ids[i] for i in idx], pad, [types[i] for i in idx] if types is not None else None)
                batch = {k: v.to(self.device) for k, v in batch.items()}
                if self.fast is not None and not self.model.training:
                    logits = self.fast(**batch).float()  # (b, labels)
                else:
                    logits = self.model(**batch).logits.float()
                for i, row in zip(idx, logits.softmax(-1).tolist(), strict=True):
                    probs[i] = row
        out = []
        for row, truncated in zip(probs, cut, strict=True):
            best = max(range(len(row)), key=row.__getitem__)
            scores = dict(zip(self.labels, row, strict=True))
            out.append(Classification(self.labels[best], row[best], scores, truncated))
        return out
