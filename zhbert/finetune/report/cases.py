"""The wrong predictions of a report (``errors.jsonl``), most confident first, and a markdown page of the top ones
with the entities marked.

A classification error is a text whose predicted label is not its gold label; its confidence is the model's
probability of the label it predicted. An NER error is a gold or predicted entity of any kind but ``correct``
(``matching.KINDS``); its confidence is the tagger's mean probability, over the error's words, of what it
predicted there: each word's tag of the predicted entity (``B-PER``, ``I-PER``, ``E-PER``: its type and its
boundaries), or ``O`` for a missed entity (how sure it was that nothing was there). The per-word probabilities
are ``EntityTagger.token_probabilities`` (a CRF's marginals); a tagger without them (a span head) gives its
entity's score, and null for a missed entity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...tagging.schemes import Span, label_scheme, spans_to_tags
from .matching import match_spans
from .predictions import ClassPredictions, EntityPredictions, PredictedSpan

__all__ = [
    "class_errors",
    "entity_errors",
    "errors_markdown",
    "escape_markdown",
    "mark_entities",
    "short",
    "table_row",
]

CONTEXT = 30  # characters shown on each side of an NER error on the markdown page


def class_errors(examples: Sequence[Any], found: ClassPredictions) -> list[dict[str, Any]]:
    """One record per wrongly classified example, most confident first."""
    records = []
    for i, (example, gold, predicted) in enumerate(zip(examples, found.gold, found.predicted, strict=True)):
        if gold == predicted:
            continue
        probs = dict(zip(found.labels, found.probs[i].tolist(), strict=True))
        record = {"source": example.source, "text": example.text}
        if example.text_pair:
            record["text_pair"] = example.text_pair
        record.update(gold=gold, predicted=predicted, confidence=probs[predicted], gold_probability=probs[gold])
        records.append(record)
    return _by_confidence(records)


def entity_errors(examples: Sequence[Any], found: EntityPredictions) -> list[dict[str, Any]]:
    """One record per NER error (every kind but ``correct``), most confident first."""
    records = []
    for i, example in enumerate(examples):
        gold, predicted = found.gold[i], found.predicted[i]
        spans = [(e.start, e.end, e.type) for e in predicted]
        for kind, g, p in match_spans(gold, spans):
            if kind == "correct":
                continue
            if p is not None:
                confidence = _mean_probability(found, i, spans[p][:2], spans[p][2])
                confidence = predicted[p].score if confidence is None else confidence
            else:
                confidence = _mean_probability(found, i, gold[g][:2], "O")  # type: ignore[index]
            records.append({
                "source": example.source,
                "text": example.text,
                "kind": kind,
                "gold": _entity(example.text, gold[g]) if g is not None else None,
                "predicted": _entity(example.text, predicted[p]) if p is not None else None,
                "confidence": confidence,
            })  # fmt: skip
    return _by_confidence(records)


def _entity(text: str, span: Span | PredictedSpan) -> dict[str, Any]:
    if isinstance(span, PredictedSpan):
        return {"start": span.start, "end": span.end, "type": span.type, "text": text[span.start : span.end],
                "score": span.score}  # fmt: skip
    start, end, kind = span
    return {"start": start, "end": end, "type": kind, "text": text[start:end]}


def _mean_probability(found: EntityPredictions, i: int, where: tuple[int, int], kind: str) -> float | None:
    """The mean probability, over the words of text ``i`` in ``where``, of ``O`` (``kind == "O"``) or of each
    word's tag in an entity of type ``kind`` spanning them; None without per-word probabilities."""
    tokens = found.tokens[i]
    if tokens is None:
        return None
    rows = [j for j, (a, b) in enumerate(zip(tokens.starts, tokens.ends, strict=True)) if a < where[1] and b > where[0]]
    tags = (
        ["O"] * len(rows)
        if kind == "O"
        else spans_to_tags([(0, len(rows), kind)], len(rows), label_scheme(found.labels))
    )
    if not rows or any(tag not in found.labels for tag in tags):
        return None
    return float(np.mean([tokens.probs[j, found.labels.index(tag)] for j, tag in zip(rows, tags, strict=True)]))


def _by_confidence(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most confident first; records without a confidence last, in file order (the sort is stable)."""

    def key(record: dict[str, Any]) -> float:
        value = record["confidence"]
        return -value if value is not None and math.isfinite(value) else math.inf

    return sorted(records, key=key)


def escape_markdown(text: str) -> str:
    """``text`` shown literally in markdown (its own ``*``, ``_``, ``|``, brackets, and line breaks as spaces)."""
    out = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    for char in "\\`*_{}[]<>()#+!|~":
        out = out.replace(char, "\\" + char)
    return out


def short(text: str, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis where cut."""
    return text if len(text) <= limit else text[:limit] + "…"


def table_row(cells: Sequence[str]) -> str:
    """A markdown table row of literal cells."""
    return "| " + " | ".join(escape_markdown(cell) for cell in cells) + " |"


def mark_entities(text: str, spans: Sequence[tuple[int, int, str]], lo: int = 0, hi: int | None = None) -> str:
    """``text[lo:hi]`` in markdown with each entity in brackets and its type after them: 【北京】LOC. Nested
    entities nest their brackets; an entity cut by the window is opened or closed where the window ends."""
    hi = len(text) if hi is None else hi
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if end <= lo or start >= hi:
            continue
        if start >= lo:
            opens.setdefault(start, []).append("【")
        if end <= hi:
            closes.setdefault(end, []).insert(0, f"】{escape_markdown(kind)}")
    out = []
    for at in range(lo, hi + 1):
        out.extend(closes.get(at, []))
        out.extend(opens.get(at, []))
        if at < hi:
            out.append(escape_markdown(text[at]))
    return "".join(out)


def errors_markdown(records: Sequence[dict[str, Any]], task: str, top: int) -> str:
    """The page of the ``top`` most confident errors."""
    lines = [f"# The {min(top, len(records))} most confident errors (of {len(records)})", ""]
    if task == "classify":
        lines += ["| # | where | gold | predicted | confidence | text |", "|---|---|---|---|---|---|"]
        for n, r in enumerate(records[:top], 1):
            cells = [str(n), r["source"], r["gold"], r["predicted"], f"{r['confidence']:.3f}", short(r["text"])]
            lines.append(table_row(cells))
        return "\n".join(lines) + "\n"
    lines += ["Entities in 【brackets】 with their type after them; the gold line, then the prediction.", ""]
    for n, r in enumerate(records[:top], 1):
        g, p = r["gold"], r["predicted"]
        first = min(x["start"] for x in (g, p) if x)
        last = max(x["end"] for x in (g, p) if x)
        lo, hi = max(0, first - CONTEXT), min(len(r["text"]), last + CONTEXT)
        confidence = "n/a" if r["confidence"] is None else f"{r['confidence']:.3f}"
        lines.append(f"{n}. `{r['kind']}` at {r['source']}, confidence {confidence}")
        for name, entity in (("gold", g), ("predicted", p)):
            spans = [(entity["start"], entity["end"], entity["type"])] if entity else []
            prefix, suffix = ("…" if lo else ""), ("…" if hi < len(r["text"]) else "")
            lines.append(f"   - {name}: {prefix}{mark_entities(r['text'], spans, lo, hi)}{suffix}")
    return "\n".join(lines) + "\n"
