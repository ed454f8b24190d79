"""One call reads any annotation file into NER examples and a report of how it was read."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from ...errors import DataError, UsageError
from ...text.files import read_utf8
from .brat import parse_brat
from .formats import FORMATS, detect_format, iter_json
from .jsonshapes import parse_cluener, parse_cmeee, parse_doccano
from .labelstudio import parse_label_studio, parse_label_studio_min
from .offsets import place_records
from .records import AnnotatedData, AnnotationReport, RawRecord, Refusal

__all__ = ["read_annotations"]


def read_annotations(
    path: str | os.PathLike[str],
    format: str = "auto",
    offsets: str = "auto",
    annotator: str = "first",
    strict: bool = True,
    limit: int | None = None,
) -> AnnotatedData:
    """Read an annotation tool's export into examples, nested entities kept, and say how it was read.

    Args:
        path: a doccano, Label Studio (JSON or JSON-MIN), CMeEE/CBLUE or CLUENER file, or a BRAT ``.txt``/``.ann``
            or folder of them.
        format: ``"auto"`` (from the content; see :mod:`.formats`) or a key of :data:`FORMATS` other than
            ``"tags"`` (tag files are read by :func:`zhbert.data.read_ner_data`).
        offsets: the unit of offsets written without their text: ``"auto"``, ``"codepoints"`` or ``"utf16"``
            (see :mod:`.offsets`); offsets with their text are checked against it and repaired either way.
        annotator: which annotation of a text annotated several times is read (Label Studio): ``"first"``,
            ``"latest"`` or an annotator's id or e-mail.
        strict: raise on an entity that does not fit its text; else leave it out, and the report lists it.
        limit: read at most this many records.

    Returns:
        The examples (``[start, end)`` in code points, ``source`` the record's ``file:line``) and the report.

    Raises:
        FileNotFoundError: no such file.
        DataError: a record of another shape, or an entity that does not fit its text (when ``strict``), with
            ``file:line``; the message names the shape found and the shapes accepted.
        ValueError: an unknown ``format``, ``offsets`` or ``annotator``.
    """
    path = Path(path)
    if format not in ("auto", *FORMATS):
        raise UsageError(f"format must be 'auto' or one of {', '.join(FORMATS)}; got {format!r}", argument="format")
    if not annotator:
        raise UsageError("annotator must be 'first', 'latest' or an annotator's id", argument="annotator")
    text = None if format == "brat" or path.is_dir() or path.suffix == ".ann" else read_utf8(path)
    fmt = detect_format(path, text) if format == "auto" else format
    refused: list[Refusal] = []
    notes: list[str] = []
    records: list[RawRecord]
    if fmt == "tags":
        raise DataError(f"{path}: this file holds tags, one character per line, not {', '.join(list(FORMATS)[:-1])}")
    if fmt == "brat":
        records, refused, notes = parse_brat(path, limit)
    else:
        items = itertools.islice(iter_json(path, text or ""), limit)
        if fmt == "label-studio":
            records, notes = parse_label_studio(path, items, annotator)
        elif fmt == "label-studio-min":
            records, notes = parse_label_studio_min(path, items, annotator)
        else:
            parse = {"doccano": parse_doccano, "cmeee": parse_cmeee, "cluener": parse_cluener}[fmt]
            records = parse(path, items)
    placed = place_records(records, offsets, strict, refused)
    report = AnnotationReport(
        str(path),
        fmt,
        format == "auto",
        placed.unit,
        len(placed.examples),
        placed.spans,
        placed.repaired,
        placed.refused,
        placed.overlaps,
        placed.duplicates,
        (*notes, *placed.notes),
    )
    return AnnotatedData(placed.examples, report)
