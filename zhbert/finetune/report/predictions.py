"""What a report is made of: a model's predictions on labelled examples, with its probabilities.

found = collect(task, predictor, examples)   # ClassPredictions or EntityPredictions
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...tagging.schemes import Span, entity_types, parse_tag

__all__ = ["ClassPredictions", "EntityPredictions", "PredictedSpan", "collect", "merge_types"]


@dataclass(frozen=True)
class ClassPredictions:
    """Attributes:
    labels: the model's labels, in id order.
    gold: each example's label.
    predicted: the model's label for each example.
    probs: ``(examples, labels)`` the model's probabilities; with ``--cv``, the label-error search reads
        out-of-fold ones instead.
    """

    labels: list[str]
    gold: list[str]
    predicted: list[str]
    probs: np.ndarray


@dataclass(frozen=True)
class PredictedSpan:
    start: int
    end: int
    type: str
    score: float


@dataclass(frozen=True)
class EntityPredictions:
    """Attributes:
    labels: the tagger's labels, in id order (``O``, ``B-PER``, ...); ``types`` the entity types among them.
    gold: each example's gold spans; ``predicted`` the tagger's entities.
    tokens: each text's per-word label distributions (``EntityTagger.token_probabilities``); None for a blank
        text, or for every text when the tagger has no per-word labels (a span head: its labels are the types).
    """

    labels: list[str]
    types: list[str]
    gold: list[list[Span]]
    predicted: list[list[PredictedSpan]]
    tokens: list[Any]

    def predicted_spans(self) -> list[list[Span]]:
        return [[(e.start, e.end, e.type) for e in entities] for entities in self.predicted]


def collect(task: Any, predictor: Any, examples: Sequence[Any], batch_size: int = 32) -> Any:
    """The predictions of ``predictor`` on ``examples``, through the same API path ``task.score`` takes."""
    if task.name == "classify":
        labels = list(predictor.labels)
        pairs = [e.text_pair or "" for e in examples] if any(e.text_pair for e in examples) else None
        found = predictor.predict([e.text for e in examples], batch_size=batch_size, text_pairs=pairs)
        probs = np.array([[p.scores[label] for label in labels] for p in found], dtype=np.float64)
        return ClassPredictions(labels, [e.label for e in examples], [p.label for p in found], probs)
    labels = task.model_labels(predictor)
    texts = [e.text for e in examples]
    asked = [i for i, text in enumerate(texts) if text.strip()]  # a blank text has no entities to find
    predicted: list[list[PredictedSpan]] = [[] for _ in texts]
    for i, entities in zip(asked, predictor.predict([texts[i] for i in asked], batch_size=batch_size), strict=True):
        predicted[i] = [PredictedSpan(x.start, x.end, x.type, x.score) for x in entities]
    tokens: list[Any] = [None] * len(texts)
    tagged = predictor.per_word_labels  # a span head's labels are bare entity types
    if tagged:
        for i, probs in zip(asked, predictor.token_probabilities([texts[i] for i in asked], batch_size), strict=True):
            tokens[i] = probs
    gold = [list(e.spans) for e in examples]
    types = entity_types(labels) if tagged else sorted(labels)
    return EntityPredictions(labels, types, gold, predicted, tokens)


def merge_types(labels: Sequence[str], probs: np.ndarray) -> tuple[list[str], np.ndarray]:
    """``(["O", *types], (words, 1 + types))``: each tag's probability added to its entity type's."""
    names = ["O"]
    owner = []
    for label in labels:
        prefix, kind = parse_tag(label)
        name = "O" if prefix == "O" else kind
        if name not in names:
            names.append(name)
        owner.append(names.index(name))
    columns = np.zeros((len(labels), len(names)))
    columns[np.arange(len(labels)), owner] = 1.0
    return names, probs @ columns
