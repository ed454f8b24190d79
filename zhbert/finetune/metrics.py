"""Evaluation the way the field reports it: accuracy and macro-F1 for classification; seqeval with
``mode="strict", scheme=IOBES`` passed explicitly for NER (micro F1, macro F1 and a per-type report); exact
(start, end, type) matches for spans that may nest (the span head), which give the same numbers on flat spans.

seqeval ignores ``mode="strict"`` unless ``scheme`` is given, and its default lenient mode credits broken
entities; here both are always passed, on character-level BIOES tags built from the spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import UsageError
from ..tagging.schemes import Span, spans_to_bioes

__all__ = ["classification_metrics", "ner_metrics", "span_metrics"]


def classification_metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """``accuracy``, ``macro_f1`` and per-label precision / recall / F1 / support.

    ``macro_f1`` averages over every label seen in ``gold`` or ``predicted``, as scikit-learn and seqeval do: a
    label the model predicts but the gold set lacks counts with F1 0 instead of dropping out of the average.
    """
    if len(gold) != len(predicted):
        raise UsageError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    labels = sorted(set(gold) | set(predicted))
    per_label = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return {
        "accuracy": correct / len(gold) if gold else 0.0,
        "macro_f1": sum(scores["f1"] for scores in per_label.values()) / len(labels) if labels else 0.0,
        "per_label": per_label,
    }


def ner_metrics(
    texts: Sequence[str], gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]]
) -> dict[str, Any]:
    """Strict IOBES seqeval scores: ``precision``, ``recall``, ``f1`` (micro), ``macro_f1`` and ``per_type``."""
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
    from seqeval.scheme import IOBES

    y_true = [spans_to_bioes(list(g), len(t)) for t, g in zip(texts, gold, strict=True)]
    y_pred = [spans_to_bioes(list(p), len(t)) for t, p in zip(texts, predicted, strict=True)]
    strict = {"mode": "strict", "scheme": IOBES, "zero_division": 0}
    report = classification_report(y_true, y_pred, output_dict=True, **strict)
    per_type = {
        kind: {k: float(v) for k, v in scores.items()}
        for kind, scores in report.items()
        if kind not in ("micro avg", "macro avg", "weighted avg")
    }
    return {
        "precision": float(precision_score(y_true, y_pred, average="micro", **strict)),
        "recall": float(recall_score(y_true, y_pred, average="micro", **strict)),
        "f1": float(f1_score(y_true, y_pred, average="micro", **strict)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", **strict)),
        "per_type": per_type,
    }


def span_metrics(gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]]) -> dict[str, Any]:
    """Exact-match entity scores for spans that may nest or overlap: an entity counts when its ``(start, end,
    type)`` is in the gold set. The keys and averages of :func:`ner_metrics` (micro ``precision``, ``recall``,
    ``f1``; ``macro_f1`` over every type in gold or predictions; ``per_type`` with ``f1-score`` and
    ``support``): on flat spans both give the same numbers."""
    if len(gold) != len(predicted):
        raise UsageError(f"{len(gold)} gold texts but {len(predicted)} predicted")
    counts: dict[str, list[int]] = {}  # type -> [true positives, predicted, gold]
    for g, p in zip(gold, predicted, strict=True):
        gold_set, pred_set = set(g), set(p)
        for *_, kind in gold_set | pred_set:
            counts.setdefault(kind, [0, 0, 0])
        for span in pred_set:
            counts[span[2]][0] += span in gold_set
            counts[span[2]][1] += 1
        for span in gold_set:
            counts[span[2]][2] += 1

    def prf(tp: int, predicted: int, support: int) -> tuple[float, float, float]:
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    per_type = {}
    for kind in sorted(counts):
        precision, recall, f1 = prf(*counts[kind])
        per_type[kind] = {"precision": precision, "recall": recall, "f1-score": f1, "support": float(counts[kind][2])}
    totals = [sum(c[i] for c in counts.values()) for i in range(3)]
    precision, recall, f1 = prf(*totals)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "macro_f1": sum(s["f1-score"] for s in per_type.values()) / len(per_type) if per_type else 0.0,
        "per_type": per_type,
    }
