"""The annotation formats zhbert reads, told apart by their content, and JSON records read with their lines.

A file's format is its first record that only one format writes: doccano's ``label`` triples or ``entities`` with
``start_offset``; a Label Studio task (``data`` and ``annotations``) or JSON-MIN record (``annotator``, a list of
``{start, end, labels}``); CMeEE's ``start_idx``; CLUENER's ``label`` mapping. A ``.ann`` file, a ``.txt`` with an
``.ann`` beside it or a folder of them is BRAT; a file that is not JSON holds tags, one character per line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import DataError, UsageError
from ...text.files import json_line

__all__ = ["FORMATS", "describe", "detect_format", "expect_record", "iter_json", "shape_of"]

FORMATS = {
    "doccano": 'doccano JSONL ({"text", "label": [[start, end, "TYPE"]]} or {"text", "entities": '
    '[{"start_offset", "end_offset", "label"}]}, the text under "data" in some versions)',
    "label-studio": "Label Studio JSON (a list of tasks with data.text and "
    "annotations[].result[].value.{start, end, text, labels})",
    "label-studio-min": 'Label Studio JSON-MIN (a list of {"text", <control name>: [{start, end, text, labels}], '
    '"annotator"})',
    "cmeee": 'CMeEE/CBLUE (a list of {"text", "entities": [{"start_idx", "end_idx" inclusive, "type", "entity"}]})',
    "cluener": 'CLUENER JSON lines ({"text", "label": {type: {entity: [[start, end inclusive]]}}})',
    "brat": "BRAT standoff (a .txt with its .ann of T lines, or a folder of them)",
    "tags": "tag files (one character and its tag per line, IOB2, BIOES or BMES; a blank line between sentences)",
}


def accepted() -> str:
    """The accepted shapes, for error messages."""
    return "; ".join(FORMATS.values())


def describe(obj: Any) -> str:
    """What a JSON value is, in a few words."""
    if isinstance(obj, dict):
        keys = ", ".join(repr(k) for k in list(obj)[:6])
        return f"an object with keys {keys}" if obj else "an empty object"
    return {list: "a list", str: "a string", bool: "true or false"}.get(type(obj), "a number or null")


def _is_span_list(value: Any, *keys: str) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and set(keys) <= set(v) for v in value)


def shape_of(obj: Any) -> str | None:
    """The format that writes ``obj``; ``None`` for a text without entities (any format); ``"unknown"`` else."""
    if not isinstance(obj, dict):
        return "unknown"
    if isinstance(obj.get("data"), dict) and ("annotations" in obj or "predictions" in obj):
        return "label-studio"
    entities = obj.get("entities")
    if _is_span_list(entities, "start_idx"):
        return "cmeee"
    if _is_span_list(entities, "start_offset"):
        return "doccano"
    for key in ("label", "labels"):
        value = obj.get(key)
        if isinstance(value, dict):
            return "cluener"
        if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            return "doccano"
    if "annotator" in obj or "annotation_id" in obj or any(_is_span_list(v, "start", "end") for v in obj.values()):
        return "label-studio-min"
    if isinstance(obj.get("data"), str):
        return "doccano"
    return None if isinstance(obj.get("text"), str) else "unknown"


def expect_record(where: str, obj: Any, fmt: str) -> dict[str, Any]:
    """``obj`` if it is a record of ``fmt`` (or a bare text); else ``DataError`` naming the shape found."""
    shape = shape_of(obj)
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected an object with a 'text' string, found {describe(obj)}")
    if shape == "unknown":
        raise DataError(f"{where}: {describe(obj)} is none of the shapes accepted: {accepted()}")
    if shape is not None and shape != fmt:
        raise DataError(
            f"{where}: this record is {FORMATS[shape]}, but the file is read as {FORMATS[fmt]}; "
            "a file holds one shape: give the right format, or split the file"
        )
    return obj


def iter_json(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    """``(line, value)`` of each record: the items of a JSON list, or the lines of a JSON-lines file."""
    if not text.lstrip().startswith("["):
        for lineno, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                yield lineno, json_line(line, f"{path}:{lineno}")
        return
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    expect_item = True
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        lineno = text.count("\n", 0, pos) + 1
        if pos < len(text) and text[pos] == "]":
            return
        if pos < len(text) and text[pos] == "," and not expect_item:
            pos, expect_item = pos + 1, True
            continue
        if not expect_item or pos >= len(text):
            raise DataError(f"{path}:{lineno}: not valid JSON (expected ',' or ']' in the list)")
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
        expect_item = False
        yield lineno, value


def detect_format(path: Path, text: str | None) -> str:
    """The format of ``path`` (``text`` is its content; ``None`` for a folder or BRAT file, not read as JSON)."""
    if path.is_dir() or path.suffix == ".ann" or (path.suffix == ".txt" and path.with_suffix(".ann").exists()):
        return "brat"
    if text is None:
        raise UsageError(f"{path}: the content is needed to tell its format")
    if not (path.suffix.lower() in (".json", ".jsonl") or re.match(r"\s*(\{|\[\s*[{\]])", text)):
        return "tags"
    for lineno, record in iter_json(path, text):
        shape = shape_of(record)
        if shape == "unknown":
            expect_record(f"{path}:{lineno}", record, "cluener")  # raises, naming what it found
        if shape is not None:
            return shape
    return "cluener"  # texts without entities, or none: any JSON reader reads them alike
