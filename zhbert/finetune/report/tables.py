"""The report's tables: per-label (or per-type) scores and confusion matrices, as markdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .cases import escape_markdown
from .matching import KINDS

__all__ = ["class_confusion", "confusion_markdown", "kinds_markdown", "scores_markdown"]


def class_confusion(labels: Sequence[str], gold: Sequence[str], predicted: Sequence[str]) -> list[list[int]]:
    """``matrix[i][j]``: examples of gold label ``labels[i]`` predicted as ``labels[j]``; rows sum to the
    examples of each gold label, the whole to the number of examples."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g]][index[p]] += 1
    return matrix


def scores_markdown(per: dict[str, dict[str, float]], name: str, totals: dict[str, Any]) -> str:
    """``| label | precision | recall | F1 | support |`` and a row per average in ``totals``."""
    lines = [f"| {name} | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, s in per.items():
        lines.append(f"| {escape_markdown(label)} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | "
                     f"{int(s['support'])} |")  # fmt: skip
    lines.extend(f"| *{key}* | | | {value:.4f} | |" for key, value in totals.items())
    return "\n".join(lines) + "\n"


def confusion_markdown(rows: Sequence[str], columns: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    """The matrix as a table: gold down the side, predicted along the top, with row and column totals."""
    head = "| gold \\ predicted | " + " | ".join(escape_markdown(c) for c in columns) + " | total |"
    lines = [head, "|---" * (len(columns) + 2) + "|"]
    for name, row in zip(rows, matrix, strict=True):
        lines.append(f"| {escape_markdown(name)} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    sums = [sum(row[j] for row in matrix) for j in range(len(columns))]
    lines.append("| total | " + " | ".join(map(str, sums)) + f" | {sum(sums)} |")
    return "\n".join(lines) + "\n"


def kinds_markdown(counts: dict[str, dict[str, int]]) -> str:
    """One row per entity type, one column per kind (``matching.KINDS``: ``spurious`` under the predicted type,
    the others under the gold type), and the gold entities of the type (every kind but ``spurious``)."""
    lines = ["| type | " + " | ".join(KINDS) + " | gold |", "|---" * (len(KINDS) + 2) + "|"]
    for kind, c in counts.items():
        gold = sum(c[k] for k in KINDS if k != "spurious")
        lines.append(f"| {escape_markdown(kind)} | " + " | ".join(str(c[k]) for k in KINDS) + f" | {gold} |")
    return "\n".join(lines) + "\n"
