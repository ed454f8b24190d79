"""Likely label errors in an evaluated file, found by cleanlab (confident learning) from the model's probabilities.

Classification: ``cleanlab.filter.find_label_issues`` over each example's probabilities, ranked by self-confidence
(the model's probability of the given label, lowest first). NER: ``cleanlab.token_classification.filter.
find_label_issues`` over each word's distribution, the BIOES labels merged into their entity type (``O``, ``LOC``,
``PER``, ...: a B-, I-, E- or S- word of a type gets the sum of their probabilities), as cleanlab's
token-classification guide merges B- and I-; a sentence is listed once, at its most suspect word. A word's given
label is the type of the longest gold entity it lies in (the outer one, where entities nest).

Probabilities from the model that was trained on these very rows are optimistic: it has learnt some of their
label errors, and finds fewer of them. ``--cv K`` gives out-of-fold probabilities (``folds.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import MissingExtraError
from .cases import escape_markdown, mark_entities, short, table_row
from .predictions import ClassPredictions, EntityPredictions, merge_types

__all__ = ["class_label_issues", "entity_label_issues", "issues_markdown"]


def _cleanlab() -> Any:
    try:
        import cleanlab.filter
        import cleanlab.token_classification.filter
    except ImportError as err:
        raise MissingExtraError("finding label errors needs cleanlab: pip install zhbert[report]") from err
    return cleanlab


def class_label_issues(examples: Sequence[Any], found: ClassPredictions, probs: np.ndarray) -> list[dict[str, Any]]:
    """The examples cleanlab flags, most likely mislabelled first; ``probs`` is ``(examples, labels)``."""
    cleanlab = _cleanlab()
    index = {label: i for i, label in enumerate(found.labels)}
    given = np.array([index[label] for label in found.gold])
    if len(given) < 2 or len(set(given.tolist())) < 2:
        return []  # confident learning needs examples of at least two labels
    ranked = cleanlab.filter.find_label_issues(given, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
    out = []
    for rank, i in enumerate(ranked.tolist(), 1):
        example = examples[i]
        record = {"rank": rank, "source": example.source, "text": example.text}
        if example.text_pair:
            record["text_pair"] = example.text_pair
        record.update(given=found.gold[i], suggested=found.labels[int(np.argmax(probs[i]))],
                      given_probability=float(probs[i][given[i]]))  # fmt: skip
        out.append(record)
    return out


def _word_types(starts: Sequence[int], spans: Sequence[Any], names: list[str]) -> list[int]:
    given = [0] * len(starts)
    for start, end, kind in sorted(spans, key=lambda s: s[1] - s[0]):  # the longest (outer) entity writes last
        for j, a in enumerate(starts):
            if start <= a < end and kind in names:
                given[j] = names.index(kind)
    return given


def entity_label_issues(
    examples: Sequence[Any], found: EntityPredictions, tokens: Sequence[Any]
) -> list[dict[str, Any]]:
    """The sentences cleanlab flags (at least one word whose given type looks wrong), most suspect first; each
    with its flagged words. ``tokens``: per text, ``TokenProbabilities`` (or None to leave it out)."""
    cleanlab = _cleanlab()
    kept, given, probs, names = [], [], [], ["O"]
    for i, t in enumerate(tokens):
        if t is None or not len(t.starts):
            continue
        names, merged = merge_types(found.labels, t.probs)
        kept.append(i)
        given.append(_word_types(t.starts, found.gold[i], names))
        probs.append(merged)
    if not kept or len({label for row in given for label in row}) < 2:
        return []
    flagged = cleanlab.token_classification.filter.find_label_issues(given, probs, n_jobs=1)
    words: dict[int, list[int]] = {}
    for s, j in flagged:
        words.setdefault(int(s), []).append(int(j))
    out = []
    for rank, (s, js) in enumerate(words.items(), 1):
        i, t, example = kept[s], tokens[kept[s]], examples[kept[s]]
        flagged_words = [{"start": t.starts[j], "end": t.ends[j], "text": example.text[t.starts[j] : t.ends[j]],
                          "given": names[given[s][j]], "suggested": names[int(np.argmax(probs[s][j]))],
                          "given_probability": float(probs[s][j][given[s][j]])} for j in js]  # fmt: skip
        gold = [{"start": a, "end": b, "type": k, "text": example.text[a:b]} for a, b, k in found.gold[i]]
        out.append({"rank": rank, "source": example.source, "text": example.text, "words": flagged_words,
                    "gold": gold})  # fmt: skip
    return out


def issues_markdown(records: Sequence[dict[str, Any]], task: str, top: int, note: str) -> str:
    """The page of the ``top`` likely label errors."""
    lines = [
        f"# Likely label errors: the first {min(top, len(records))} of {len(records)} cleanlab flags",
        "",
        note,
        "",
    ]
    if task == "classify":
        lines += ["| # | where | given | suggested | p(given) | text |", "|---|---|---|---|---|---|"]
        for r in records[:top]:
            cells = [str(r["rank"]), r["source"], r["given"], r["suggested"], f"{r['given_probability']:.3f}"]
            lines.append(table_row([*cells, short(r["text"])]))
        return "\n".join(lines) + "\n"
    for r in records[:top]:
        words = ", ".join(
            f"{escape_markdown(w['text'])} ({w['given']} → {w['suggested']}, p={w['given_probability']:.3f})"
            for w in r["words"]
        )
        spans = [(g["start"], g["end"], g["type"]) for g in r["gold"]]
        lines.append(f"{r['rank']}. {r['source']}: {words}")
        lines.append(f"   - gold: {mark_entities(r['text'], spans)}")
    return "\n".join(lines) + "\n"
