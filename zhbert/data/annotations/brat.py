"""BRAT standoff: a document's text in ``NAME.txt``, its annotations in ``NAME.ann``, one per line.

A text-bound annotation is ``T1<TAB>TYPE START END<TAB>TEXT``, offsets in code points, end exclusive. A
discontinuous one (``T2<TAB>TYPE 0 5;8 10<TAB>...``) cannot be a span of zhbert: it is refused with its line.
Relations, events, attributes, normalisations and notes (``R``, ``E``, ``A``, ``M``, ``N``, ``#``, ``*``) are
skipped and counted. Each document is one example, its whole text.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ...errors import DataError, MissingFileError
from ...text.files import atomic_write, read_utf8
from ..ner_example import NerExample
from .records import RawRecord, RawSpan, Refusal

__all__ = ["brat_pairs", "parse_brat", "write_brat"]


def brat_pairs(path: Path) -> list[tuple[Path, Path]]:
    """``(txt, ann)`` of a ``.txt``, an ``.ann`` or each ``.ann`` of a folder (sorted by name)."""
    anns = sorted(path.glob("*.ann")) if path.is_dir() else [path.with_suffix(".ann")]
    if path.is_dir() and not anns:
        raise DataError(f"{path}: a folder with no .ann files; BRAT keeps each document as NAME.txt and NAME.ann")
    pairs = []
    for ann in anns:
        txt = ann.with_suffix(".txt")
        for need in (txt, ann):
            if not need.exists():
                raise MissingFileError(f"{need}: no such file; BRAT keeps each document as NAME.txt and NAME.ann")
        pairs.append((txt, ann))
    return pairs


def _flat(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def parse_brat(path: Path, limit: int | None = None) -> tuple[list[RawRecord], list[Refusal], list[str]]:
    """The documents of ``path`` with their ``T`` annotations, the refused discontinuous ones, and a note on the
    lines of other kinds that were skipped."""
    records: list[RawRecord] = []
    refused: list[Refusal] = []
    skipped = 0
    for txt, ann in brat_pairs(path)[:limit]:
        text = read_utf8(txt)
        spans = []
        for lineno, raw in enumerate(read_utf8(ann).split("\n"), start=1):
            line = raw.removesuffix("\r")
            if not line.strip():
                continue
            where = f"{ann}:{lineno}"
            if not line.startswith("T"):
                skipped += 1
                continue
            fields = line.split("\t")
            head = fields[1].split(" ", 1) if len(fields) >= 2 else []
            if len(fields) < 3 or len(head) < 2:
                raise DataError(f"{where}: {line!r} is not a T line, `T1<TAB>TYPE START END<TAB>TEXT`")
            tid, (label, offsets), column = fields[0], head, "\t".join(fields[2:])
            if ";" in offsets:
                refused.append(Refusal(where, f"{tid} {label} {column!r} is discontinuous ({offsets}); not read"))
                continue
            try:
                start, end = (int(x) for x in offsets.split())
            except ValueError:
                raise DataError(f"{where}: offsets {offsets!r} are not `START END`") from None
            # A span across a line break is written with spaces in the one-line text column.
            claimed = text[start:end] if 0 <= start < end and _flat(text[start:end]) == column else column
            spans.append(RawSpan(start, end, label, claimed, f"{tid} {label} {column!r} [{start}, {end})", where))
        records.append(RawRecord(f"{txt}:1", text, tuple(spans)))
    note = [f"{skipped:,} lines of other kinds (relations, events, attributes, notes) were skipped"] if skipped else []
    return records, refused, note


def write_brat(folder: str | os.PathLike[str], examples: Iterable[NerExample], prefix: str = "doc") -> list[Path]:
    """Write each example as ``PREFIX-000001.txt`` with its ``.ann`` in ``folder`` (made if missing); the paths
    of the ``.ann`` files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i, ex in enumerate(examples, start=1):
        base = folder / f"{prefix}-{i:06d}"
        with atomic_write(base.with_suffix(".txt")) as handle:
            handle.write(ex.text)
        lines = [f"T{j}\t{t} {s} {e}\t{_flat(ex.text[s:e])}\n" for j, (s, e, t) in enumerate(ex.spans, start=1)]
        with atomic_write(base.with_suffix(".ann")) as handle:
            handle.writelines(lines)
        written.append(base.with_suffix(".ann"))
    return written
