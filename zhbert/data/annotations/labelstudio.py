"""Label Studio: the JSON export (tasks with ``annotations``, or ``predictions`` only) and JSON-MIN (one record per
annotator) read; tasks with ``predictions`` written as its pre-annotation import takes them.

One text annotated by several people is read once, from the annotation ``annotator`` chooses: ``"first"`` (the
first in the file), ``"latest"`` (the most recently updated) or an annotator's id or e-mail; the report says
how many texts had several, and how many had none by the named annotator (left out).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ...errors import DataError
from ...text.files import atomic_write
from ..ner_example import NerExample
from .formats import expect_record
from .jsonshapes import Items, as_list, record_text
from .offsets import to_utf16
from .records import RawRecord, RawSpan

__all__ = ["parse_label_studio", "parse_label_studio_min", "write_label_studio", "write_label_studio_min"]

_MIN_META = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement"}


def _name(who: Any) -> str:
    if isinstance(who, dict):
        who = who.get("email", who.get("id"))
    return "" if who is None else str(who)


def choose(candidates: Sequence[Any], annotator: str, who: Callable[[Any], Any]) -> Any | None:
    """The candidate ``annotator`` picks (see the module); ``None`` when a named annotator made none of them."""
    if annotator == "first":
        return candidates[0]
    if annotator == "latest":
        stamp = [str(c.get("updated_at") or c.get("created_at") or "") for c in candidates]
        return candidates[max(range(len(candidates)), key=lambda i: (stamp[i], i))]
    return next((c for c in candidates if _name(who(c)) == annotator), None)


def _spans(where: str, values: Iterable[Any]) -> tuple[RawSpan, ...]:
    spans: list[RawSpan] = []
    for value in values:
        if not isinstance(value, dict) or "start" not in value:
            continue  # a choice, a relation or a text area: not an entity
        start, end, text = value.get("start"), value.get("end"), value.get("text")
        labels = value.get("labels")
        if type(start) is not int or type(end) is not int or not isinstance(labels, list):
            raise DataError(f"{where}: region {value!r} is not {{start, end, text, labels}}")
        claimed = text if isinstance(text, str) else None
        spans.extend(RawSpan(start, end, str(lab), claimed, f"{lab} {text!r} [{start}, {end})") for lab in labels)
    return tuple(spans)


def _notes(fmt: str, annotator: str, several: int, missing: int, other: dict[str, int]) -> list[str]:
    notes = []
    if several:
        notes.append(f"annotator={annotator!r}: {several:,} texts had several annotations; one of each was read")
    if missing:
        notes.append(f"{missing:,} texts have no annotation by {annotator!r} and were left out")
    notes.extend(f"{count:,} {fmt} tasks {what}" for what, count in other.items() if count)
    return notes


def parse_label_studio(path: Path, items: Items, annotator: str = "first") -> tuple[list[RawRecord], list[str]]:
    """Label Studio JSON: ``data.text`` and the regions of one annotation per task (its predictions if it has
    none); tasks with neither, and cancelled annotations, are left out and counted."""
    records = []
    several = missing = 0
    other = {"had no annotation and were left out": 0, "were read from their predictions (no annotation)": 0}
    for lineno, obj in items:
        where = f"{path}:{lineno}"
        task = expect_record(where, obj, "label-studio")
        data: dict[str, Any] = task["data"] if isinstance(task.get("data"), dict) else {}
        keys = ["text"] if "text" in data else [k for k, v in data.items() if isinstance(v, str)][:1] or ["text"]
        text = record_text(where, data, keys)
        annotations = as_list(where, task.get("annotations"), "'annotations'")
        predictions = [p for p in as_list(where, task.get("predictions"), "'predictions'") if isinstance(p, dict)]
        done = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
        if done:
            several += len(done) > 1
            chosen = choose(done, annotator, lambda a: a.get("completed_by"))
            if chosen is None:
                missing += 1
                continue
        elif predictions:
            chosen = predictions[0]
            other["were read from their predictions (no annotation)"] += 1
        else:
            other["had no annotation and were left out"] += 1
            continue
        values = [r.get("value") for r in as_list(where, chosen.get("result"), "'result'") if isinstance(r, dict)]
        records.append(RawRecord(where, text, _spans(where, values)))
    return records, _notes("label-studio", annotator, several, missing, other)


def parse_label_studio_min(path: Path, items: Items, annotator: str = "first") -> tuple[list[RawRecord], list[str]]:
    """Label Studio JSON-MIN: one record per annotator, grouped by task ``id`` (by text without one); the regions
    are under the labelling config's control name, any key holding ``[{start, end, labels}]``."""
    groups: dict[Any, list[tuple[str, dict[str, Any]]]] = {}
    for lineno, obj in items:
        where = f"{path}:{lineno}"
        record = expect_record(where, obj, "label-studio-min")
        text = record_text(where, record)
        key = ("id", json.dumps(record["id"], sort_keys=True)) if "id" in record else ("text", text)
        groups.setdefault(key, []).append((where, record))
    records = []
    several = missing = 0
    for group in groups.values():
        several += len(group) > 1
        chosen = choose([r for _, r in group], annotator, lambda r: r.get("annotator"))
        if chosen is None:
            missing += 1
            continue
        where = next(w for w, r in group if r is chosen)
        values = [v for k, vs in chosen.items() if k not in _MIN_META and isinstance(vs, list) for v in vs]
        records.append(RawRecord(where, chosen["text"], _spans(where, values)))
    return records, _notes("label-studio-min", annotator, several, missing, {})


def _result(ex: NerExample, unit: str, scores: Sequence[float] | None) -> list[dict[str, Any]]:
    result = []
    for j, (start, end, label) in enumerate(ex.spans):
        s, e = (to_utf16(ex.text, start), to_utf16(ex.text, end)) if unit == "utf16" else (start, end)
        value = {"start": s, "end": e, "text": ex.text[start:end], "labels": [label]}
        region: dict[str, Any] = {"id": f"r{j}", "from_name": "label", "to_name": "text", "type": "labels"}
        region["value"] = value
        if scores is not None:
            region["score"] = float(scores[j])
        result.append(region)
    return result


def write_label_studio(
    path: str | os.PathLike[str],
    examples: Sequence[NerExample],
    predictions: bool = True,
    model_version: str = "zhbert",
    scores: Sequence[Sequence[float]] | None = None,
    unit: str = "codepoints",
) -> None:
    """Write Label Studio tasks (a JSON list) for its import, the regions under the control ``label`` of the text
    ``text`` (``<Labels name="label" toName="text">``, as its NER template names them).

    Args:
        path: the file to write (atomically).
        examples: the texts with their entities.
        predictions: write the entities as ``predictions`` (pre-annotations, with ``model_version``), else as
            ``annotations``.
        model_version: the model named in each prediction.
        scores: a score per entity of each example (the prediction's score is their lowest, so that sorting by
            score puts the least certain texts first); ``None`` writes none.
        unit: ``"codepoints"`` (what Label Studio has stored since 1.4) or ``"utf16"`` (older versions).
    """
    tasks = []
    for i, ex in enumerate(examples):
        result = _result(ex, unit, None if scores is None else scores[i])
        entry: dict[str, Any] = {"result": result}
        if predictions:
            entry["model_version"] = model_version
            if scores is not None and len(scores[i]):
                entry["score"] = float(min(scores[i]))
        else:
            entry.update({"id": i + 1, "completed_by": 1, "was_cancelled": False})
        tasks.append({"id": i + 1, "data": {"text": ex.text}, "predictions" if predictions else "annotations": [entry]})
    _dump(path, tasks)


def write_label_studio_min(path: str | os.PathLike[str], examples: Sequence[NerExample], annotator: str = "1") -> None:
    """Write Label Studio's JSON-MIN export shape: one record per text, the regions under ``label``."""
    records = []
    for i, ex in enumerate(examples):
        regions = [r["value"] for r in _result(ex, "codepoints", None)]
        records.append({"text": ex.text, "id": i + 1, "label": regions, "annotator": annotator, "annotation_id": i + 1})
    _dump(path, records)


def _dump(path: str | os.PathLike[str], value: Any) -> None:
    with atomic_write(Path(path)) as handle:
        json.dump(value, handle, ensure_ascii=False, indent=2)
