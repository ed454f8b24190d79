"""NER errors counted over span sets, as MUC and SemEval-2013 error analyses count them: each gold entity and each
predicted entity takes part in at most one pair, and every pair, and every entity left alone, is one kind.

    kinds = match_spans(gold=[(0, 2, "PER"), (5, 8, "LOC")], predicted=[(0, 2, "PER"), (5, 7, "ORG")])
    # [("correct", 0, 0), ("wrong_type_and_boundary", 1, 1)]

Pairs are formed in this order, each step over the entities no earlier step paired:

1. ``correct``: the same start, end and type.
2. ``wrong_type``: the same start and end, another type.
3. ``wrong_boundary``: overlapping (at least one character in common), the same type, other boundaries.
4. ``wrong_type_and_boundary``: overlapping, another type and other boundaries.

Steps 3 and 4 go through the overlapping pairs largest overlap first (then by position). A gold entity left
unpaired is ``missed``; a predicted entity left unpaired is ``spurious``. Nothing here assumes the entities of
one side are disjoint, so nested gold sets and nested predictions are counted the same way.

Invariants (tested): per gold type, ``correct + wrong_type + wrong_boundary + wrong_type_and_boundary + missed``
is the number of gold entities of that type; over all types, the paired kinds plus ``spurious`` is the number of
predicted entities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...tagging.schemes import Span
from ..metrics import span_metrics

__all__ = ["ERROR_KINDS", "KINDS", "NONE", "match_spans", "ner_confusion", "ner_kind_counts", "span_scores"]

KINDS = ("correct", "wrong_type", "wrong_boundary", "wrong_type_and_boundary", "missed", "spurious")
ERROR_KINDS = KINDS[1:]
NONE = "O"  # the row of spurious entities and the column of missed ones in the NER confusion matrix


def match_spans(gold: Sequence[Span], predicted: Sequence[Span]) -> list[tuple[str, int | None, int | None]]:
    """``(kind, gold index, predicted index)`` for each pair and each unpaired entity (index ``None`` on the side
    it lacks), in order of position."""
    gold_left, pred_left = set(range(len(gold))), set(range(len(predicted)))
    out: list[tuple[str, int | None, int | None]] = []

    def pair(kind: str, g: int, p: int) -> None:
        gold_left.discard(g)
        pred_left.discard(p)
        out.append((kind, g, p))

    for kind, same_type in (("correct", True), ("wrong_type", False)):
        for g in sorted(gold_left):
            for p in sorted(pred_left):
                if gold[g][:2] == predicted[p][:2] and (gold[g][2] == predicted[p][2]) == same_type:
                    pair(kind, g, p)
                    break
    overlapping = []
    for g in gold_left:
        for p in pred_left:
            common = min(gold[g][1], predicted[p][1]) - max(gold[g][0], predicted[p][0])
            if common > 0:
                same = gold[g][2] == predicted[p][2]
                overlapping.append((not same, -common, gold[g][0], predicted[p][0], g, p))
    for other_type, _, _, _, g, p in sorted(overlapping):
        if g in gold_left and p in pred_left:
            pair("wrong_type_and_boundary" if other_type else "wrong_boundary", g, p)
    out.extend(("missed", g, None) for g in gold_left)
    out.extend(("spurious", None, p) for p in pred_left)

    def where(item: tuple[str, int | None, int | None]) -> tuple[int, int]:
        _, g, p = item
        span = gold[g] if g is not None else predicted[p]  # type: ignore[index]
        return span[0], span[1]

    return sorted(out, key=where)


def ner_kind_counts(
    gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]], types: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Per type, how many of each kind (``KINDS``): ``spurious`` counts under the predicted type, every other
    kind under the gold type."""
    counts = {kind: dict.fromkeys(KINDS, 0) for kind in types}
    for g, p in zip(gold, predicted, strict=True):
        for kind, gi, pi in match_spans(g, p):
            owner = g[gi][2] if gi is not None else p[pi][2]  # type: ignore[index]
            counts.setdefault(owner, dict.fromkeys(KINDS, 0))[kind] += 1
    return counts


def ner_confusion(
    gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]], types: Sequence[str]
) -> tuple[list[str], list[list[int]]]:
    """The entity confusion matrix: rows are gold types and ``O``, columns predicted types and ``O``. A pair (any
    of the four paired kinds) counts at (gold type, predicted type), a missed entity at (gold type, ``O``), a
    spurious one at (``O``, predicted type); (``O``, ``O``) stays 0. The gold rows sum to the number of gold
    entities, the predicted columns to the number of predicted ones."""
    seen = {kind for spans in (*gold, *predicted) for *_, kind in spans}
    names = [*types, *sorted(seen - set(types)), NONE]
    index = {name: i for i, name in enumerate(names)}
    matrix = [[0] * len(names) for _ in names]
    for g, p in zip(gold, predicted, strict=True):
        for _, gi, pi in match_spans(g, p):
            row = index[g[gi][2]] if gi is not None else index[NONE]
            col = index[p[pi][2]] if pi is not None else index[NONE]
            matrix[row][col] += 1
    return names, matrix


def span_scores(
    gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]], types: Sequence[str]
) -> dict[str, Any]:
    """The report's strict scores: :func:`zhbert.finetune.metrics.span_metrics` (an entity counts when start, end
    and type are right; on flat entities seqeval's strict IOBES figures, nested ones included), with a row for
    every type of ``types`` first, each row's ``f1`` and a whole-number ``support``."""
    scores = span_metrics(gold, predicted)
    rows = scores["per_type"]
    names = sorted(set(types) | set(rows), key=lambda k: (k not in types, k))
    empty = {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0.0}
    per_type = {}
    for kind in names:
        row = rows.get(kind, empty)
        per_type[kind] = {"precision": row["precision"], "recall": row["recall"], "f1": row["f1-score"],
                          "support": int(row["support"])}  # fmt: skip
    return {**{k: scores[k] for k in ("precision", "recall", "f1", "macro_f1")}, "per_type": per_type}
