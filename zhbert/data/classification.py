"""Text classification files (``.csv``, ``.tsv``, ``.jsonl``, ``.json``) read into one shape: text, optional pair,
label. CLUE's classification sets (``.json`` files of one object per line, pairs in ``sentence1``/``sentence2``)
read as they are.

Labels stay strings as written (``"0"``, ``"positive"``); the training code maps them to ids. In JSON lines a
label may also be an object of label -> probability (a soft label, e.g. a teacher model's output).

    >>> data = read_cls_file("chnsenticorp_htl/ChnSentiCorp_htl_all.csv")
    >>> len(data.examples), data.skipped_empty, data.examples[0].label
    (7765, 1, '1')
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError, MissingFileError
from ..text.checks import check_file_text
from ..text.files import json_line, read_utf8

__all__ = [
    "TEXT_COLUMNS",
    "ClsData",
    "ClsExample",
    "field_text",
    "is_blank_record",
    "json_array_rows",
    "pick_columns",
    "read_cls_file",
    "table_records",
    "table_row",
]

TEXT_COLUMNS = ("text", "sentence", "review", "content", "sentence1")
PAIR_COLUMNS = {"sentence1": "sentence2"}  # a pair column taken with its text column unless one is named
_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json")


@dataclass(frozen=True)
class ClsExample:
    """One text (or text pair) with its label.

    Attributes:
        text: the text, as written in the file.
        text_pair: the second text of a pair task, or None.
        label: the label as a string; ``""`` when read with ``require_label=False`` and none is given. For a
            soft label, the most probable one.
        source: ``"file:line"`` where the record starts.
        label_probs: a soft label (JSON lines only: ``"label": {"0": 0.2, "1": 0.8}``) as (label, probability)
            pairs, for training on a teacher's outputs; None for an ordinary label.
    """

    text: str
    text_pair: str | None
    label: str
    source: str
    label_probs: tuple[tuple[str, float], ...] | None = None


@dataclass(frozen=True)
class ClsData:
    """What :func:`read_cls_file` read.

    Attributes:
        examples: the usable rows, in file order.
        skipped_empty: how many rows were left out because their text (or text pair) is empty or only whitespace.
    """

    examples: list[ClsExample]
    skipped_empty: int


def read_cls_file(
    path: str | os.PathLike[str],
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = "label",
    require_label: bool = True,
) -> ClsData:
    """Read a classification file: CSV (a header row, standard quoting), TSV (a header row, tabs, no quoting: a
    ``"`` is an ordinary character), JSON lines (one object per line, ``.jsonl``) or ``.json``: JSON lines as well
    (CLUE's layout) or one JSON array of objects, told apart by the content.

    Args:
        path: the file, UTF-8 (a BOM is allowed).
        text_column: the text's column; None picks the first of ``TEXT_COLUMNS`` the file has.
        text_pair_column: the second text's column, for pair tasks; with ``text_column`` None, a file with
            ``sentence1`` and ``sentence2`` (and none of the other text columns) is read as pairs.
        label_column: the label's column; None reads no label at all (texts to predict on, whatever else the rows
            hold: CLUENER's entity spans, say), every ``label`` then ``""``.
        require_label: if False, the label column may be missing or empty (texts to predict on).

    Returns:
        The examples and the number of rows skipped for an empty text.

    Raises:
        FileNotFoundError: the file does not exist.
        DataError: an unknown suffix, a missing column, a missing label, a malformed row or a file that is not
            UTF-8; the message names the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise DataError(f"{path}: unknown suffix {suffix!r}; expected one of {', '.join(_SUFFIXES)}")
    text = read_utf8(path)
    if suffix in (".jsonl", ".json"):
        array = suffix == ".json" and text.lstrip().startswith("[")
        rows: list[tuple[int, dict[str, Any]]] = json_array_rows(path, text) if array else _jsonl_rows(path, text)
        head_line, names = (rows[0][0], list(rows[0][1])) if rows else (1, [])
    else:
        head_line, names, table = _table_rows(path, text, suffix == ".tsv")
        rows = list(table)
    if not rows:
        raise DataError(f"{path}: no rows in the file")
    if label_column is None:
        require_label = False
    text_key, pair_key, label_key = pick_columns(
        f"{path}:{head_line}", names, text_column, text_pair_column, label_column, require_label
    )
    examples: list[ClsExample] = []
    skipped = 0
    for lineno, row in rows:
        where = f"{path}:{lineno}"
        first = field_text(where, row, text_key)
        pair = field_text(where, row, pair_key) if pair_key else None
        if not first.strip() or (pair is not None and not pair.strip()):
            skipped += 1
            continue
        value = row.get(label_key) if label_key else None
        if isinstance(value, dict):
            probs = _soft_label(where, value, str(label_key))
            examples.append(ClsExample(first, pair, max(probs, key=lambda p: p[1])[0], where, probs))
            continue
        label = _label(where, value, label_key or "label", require_label)
        examples.append(ClsExample(first, pair, label, where))
    return ClsData(examples, skipped)


def pick_columns(
    where: str, names: list[str], text: str | None, pair: str | None, label: str | None, require_label: bool
) -> tuple[str, str | None, str | None]:
    """The text, pair and label columns of a file whose columns (or first record's fields) are ``names``: those
    asked for, else the first of ``TEXT_COLUMNS`` (with ``sentence2`` beside ``sentence1``); the label's is None
    when the file has none. ``DataError`` naming ``where`` when a column asked for is missing."""
    listed = ", ".join(names)
    if text is None:
        text = next((name for name in TEXT_COLUMNS if name in names), None)
        if text is None:
            raise DataError(f"{where}: no text column: none of {', '.join(TEXT_COLUMNS)} (columns: {listed})")
        if pair is None and PAIR_COLUMNS.get(text) in names:
            pair = PAIR_COLUMNS[text]
    for name in (text, pair, label if require_label else None):
        if name is not None and name not in names:
            raise DataError(f"{where}: no column {name!r} (columns: {listed})")
    return text, pair, label if label in names else None


def field_text(where: str, row: Mapping[str, Any], key: str) -> str:
    """The text in ``row[key]`` (``""`` for null); ``DataError`` naming ``where`` when it is missing, not a string
    or holds a lone surrogate."""
    if key not in row:
        raise DataError(f"{where}: no field {key!r} (fields: {', '.join(row)})")
    value = row[key]
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DataError(f"{where}: field {key!r} is {type(value).__name__}, not text")
    return check_file_text(value, where, f"field {key!r}")


def _label(where: str, value: Any, key: str, require: bool) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, type(None))):
        kind = type(value).__name__
        raise DataError(
            f"{where}: label {key!r} is {kind}; expected text, an integer or an object of label: probability"
        )
    label = "" if value is None else str(value).strip()
    if require and not label:
        raise DataError(f"{where}: no label in column {key!r}")
    return label


def _soft_label(where: str, value: dict[str, Any], key: str) -> tuple[tuple[str, float], ...]:
    """A JSON object of label -> probability: numbers >= 0 that sum to 1 (within 1e-3), renormalised."""
    if not value:
        raise DataError(f"{where}: soft label {key!r} is an empty object")
    for name, p in value.items():
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1 or not name.strip():
            raise DataError(f"{where}: soft label {key!r} has {name!r}: {p!r}; expected label: probability in [0, 1]")
    total = sum(value.values())
    if abs(total - 1) > 1e-3:
        raise DataError(f"{where}: soft label {key!r} sums to {total:g}, not 1")
    return tuple((name.strip(), float(p) / total) for name, p in value.items())


def table_records(path: str | os.PathLike[str], lines: Iterable[str], tsv: bool) -> Iterator[tuple[int, list[str]]]:
    """Each CSV or TSV record of ``lines`` (without their line ends), blank ones included (an empty list or one
    field of whitespace), with the physical line it starts on.

    Raises:
        DataError: a malformed record (a quote left open in CSV), naming ``path`` and the line.
    """
    # strict: a quote left open is an error, not a field that swallows the rest of the file
    dialect: dict[str, Any] = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if tsv else {"strict": True}
    reader = csv.reader((line + "\n" for line in lines), **dialect)
    kind = "TSV" if tsv else "CSV"
    end = 0  # reader.line_num after a record is the physical line it ends on
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataError(f"{path}:{start}: malformed {kind} record ({err})") from None
        end = reader.line_num
        yield start, record


def is_blank_record(record: list[str]) -> bool:
    """Whether a CSV or TSV record is a blank line."""
    return not record or (len(record) == 1 and not record[0].strip())


def _table_rows(path: Path, text: str, tsv: bool) -> tuple[int, list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header's line, its column names and the data rows, each with the physical line it starts on."""
    stream = (
        (start, record) for start, record in table_records(path, text.split("\n"), tsv) if not is_blank_record(record)
    )
    head_line, header = next(stream, (1, []))
    header = [name.strip() for name in header]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for start, record in stream:
            yield start, table_row(path, start, header, record)

    return head_line, header, rows()


def table_row(path: str | os.PathLike[str], line: int, header: list[str], record: list[str]) -> dict[str, str]:
    """One CSV or TSV record as a mapping of the header's names to its fields.

    Raises:
        DataError: the record has more or fewer fields than the header.
    """
    if len(record) != len(header):
        raise DataError(f"{path}:{line}: {len(record)} fields, but the header has {len(header)} ({', '.join(header)})")
    return dict(zip(header, record, strict=True))


def _jsonl_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        record = json_line(line, f"{path}:{lineno}")
        if not isinstance(record, dict):
            raise DataError(f"{path}:{lineno}: a JSON {type(record).__name__}, expected an object per line")
        rows.append((lineno, record))
    return rows


def json_array_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    """The objects of one JSON array, each with the line it starts on."""
    decoder = json.JSONDecoder()
    rows: list[tuple[int, dict[str, Any]]] = []
    at = text.index("[") + 1
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text):
            raise DataError(f"{path}:{text.count(chr(10)) + 1}: the JSON array is not closed with ]")
        if text[at] == "]":
            break
        lineno = text.count("\n", 0, at) + 1
        try:
            record, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{text.count(chr(10), 0, err.pos) + 1}: not valid JSON ({err.msg})") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{lineno}: a JSON {type(record).__name__}, expected an object per array item")
        rows.append((lineno, record))
    if text[at + 1 :].strip():
        raise DataError(f"{path}:{text.count(chr(10), 0, at) + 1}: text after the JSON array")
    return rows
