"""Write an evaluation report: a folder of markdown, JSON, JSON lines and a PNG (``REPORT_FILES``), made in a
temporary folder beside the target and renamed into place at the end, so a report is complete or absent.

    found = collect(task, predictor, examples)
    write_report("reports/senti", task.name, examples, found)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import MissingFileError, UsageError
from ..metrics import classification_metrics
from .cases import class_errors, entity_errors, errors_markdown
from .issues import class_label_issues, entity_label_issues, issues_markdown
from .matching import NONE, ner_confusion, ner_kind_counts, span_scores
from .plot import plot_confusion
from .predictions import ClassPredictions, EntityPredictions
from .tables import class_confusion, confusion_markdown, kinds_markdown, scores_markdown

__all__ = ["REPORT_FILES", "check_report_dir", "write_report"]

REPORT_FILES = ("README.md", "scores.md", "scores.json", "confusion.png", "confusion.md", "errors.jsonl",
                "errors.md", "label_issues.jsonl", "label_issues.md")  # fmt: skip
SAME_ROWS = ("Probabilities from the evaluated model itself: where it was trained on these rows they are "
             "optimistic (it has learnt some of their errors); `--cv K` gives out-of-fold ones.")  # fmt: skip


NO_TOKENS = (
    "This tagger gives no per-word label probabilities (a span head scores spans, not words), which "
    "cleanlab's token classification reads: no label errors are searched for."
)


def check_report_dir(out: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Refuse a report folder before any work: a file, a folder in a missing folder, or a folder with files in it
    (unless ``overwrite``)."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: a file; --report names a folder to write", argument="report")
    if not path.parent.is_dir():
        raise MissingFileError(f"{path}: the folder {path.parent} does not exist", argument="report")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise UsageError(f"{path} already holds files: choose another folder, or --overwrite to replace it",
                         argument="report")  # fmt: skip


def write_report(
    out: str | os.PathLike[str],
    task: str,
    examples: Sequence[Any],
    found: ClassPredictions | EntityPredictions,
    *,
    top: int = 20,
    probabilities: Any = None,
    note: str = SAME_ROWS,
    overwrite: bool = False,
    title: str = "Evaluation report",
) -> dict[str, Any]:
    """Write the report on ``found`` (``collect``) into the folder ``out``; returns what ``scores.json`` holds.

    ``probabilities``: what the label-error search reads instead of the model's own (``--cv``): an
    ``(examples, labels)`` array for classification, per-text ``TokenProbabilities`` for NER; ``note`` says
    where they came from.
    """
    check_report_dir(out, overwrite)
    target = Path(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        summary = _write(tmp, task, examples, found, top, probabilities, note, title)
        os.chmod(tmp, 0o777 & ~_umask())
        _replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace(tmp: Path, target: Path) -> None:
    if target.is_dir():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, old / "report")
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)


def _lines(path: Path, records: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write(
    folder: Path, task: str, examples: Sequence[Any], found: Any, top: int, probabilities: Any, note: str, title: str
) -> dict[str, Any]:
    if isinstance(found, ClassPredictions):
        scores = classification_metrics(found.gold, found.predicted)
        per = {label: scores["per_label"].get(label, _zero()) for label in found.labels}
        rows = columns = found.labels
        matrix = class_confusion(found.labels, found.gold, found.predicted)
        headline = {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]}
        summary: dict[str, Any] = {"task": task, "examples": len(examples), **headline, "per_label": per,
                                   "confusion": {"labels": list(rows), "matrix": matrix}}  # fmt: skip
        errors = class_errors(examples, found)
        issues = class_label_issues(examples, found, found.probs if probabilities is None else probabilities)
        kinds_table, name = "", "label"
    else:
        gold, predicted = found.gold, found.predicted_spans()
        scores = span_scores(gold, predicted, found.types)
        per = scores["per_type"]
        headline = {k: scores[k] for k in ("f1", "precision", "recall", "macro_f1")}
        names, matrix = ner_confusion(gold, predicted, found.types)
        rows = columns = names
        kinds = ner_kind_counts(gold, predicted, found.types)
        summary = {"task": task, "examples": len(examples), "entities": sum(map(len, gold)),
                   "predicted_entities": sum(map(len, predicted)), **headline, "per_type": per,
                   "confusion": {"labels": names, "matrix": matrix, "none": NONE}, "error_kinds": kinds}  # fmt: skip
        errors = entity_errors(examples, found)
        tokens = found.tokens if probabilities is None else probabilities
        issues = entity_label_issues(examples, found, tokens)
        if all(t is None for t in tokens):
            note = NO_TOKENS
        kinds_table, name = "\n## Error kinds per type\n\n" + kinds_markdown(kinds), "type"
    summary.update(errors=len(errors), label_issues=len(issues))
    totals = {k: v for k, v in headline.items() if k != "precision" and k != "recall"}
    scores_md = f"# Scores\n\n{scores_markdown(per, name, totals)}"
    what = "labels" if task == "classify" else f"entity types (`{NONE}`: no entity; see docs/evaluating.md)"
    confusion_md = (
        f"# Confusion matrix\n\nGold down the side, predicted along the top; {what}.\n\n"
        + confusion_markdown(rows, columns, matrix)
    )
    (folder / "scores.md").write_text(scores_md, encoding="utf-8")
    (folder / "scores.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (folder / "confusion.md").write_text(confusion_md + kinds_table, encoding="utf-8")
    plot_confusion(folder / "confusion.png", rows, columns, matrix, f"{title} ({len(examples)} examples)")
    _lines(folder / "errors.jsonl", errors)
    (folder / "errors.md").write_text(errors_markdown(errors, task, top), encoding="utf-8")
    _lines(folder / "label_issues.jsonl", issues)
    (folder / "label_issues.md").write_text(issues_markdown(issues, task, top, note), encoding="utf-8")
    heads = " · ".join(f"{k} {v:.4f}" for k, v in headline.items())
    index = [f"# {title}", "", f"{len(examples)} examples: {heads}. {len(errors)} errors, {len(issues)} likely "
             "label errors.", "", "![confusion matrix](confusion.png)", "", scores_md.split("\n", 2)[2],
             confusion_md.split("\n", 2)[2], kinds_table, "", "- [scores.md](scores.md), [scores.json](scores.json)",
             "- [confusion.md](confusion.md), [confusion.png](confusion.png)",
             "- [errors.md](errors.md) (the most confident errors), [errors.jsonl](errors.jsonl) (all of them)",
             "- [label_issues.md](label_issues.md), [label_issues.jsonl](label_issues.jsonl)", ""]  # fmt: skip
    (folder / "README.md").write_text("\n".join(index), encoding="utf-8")
    return summary


def _zero() -> dict[str, float]:
    return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
