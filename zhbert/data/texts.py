"""Unlabelled text files: the texts to label (``zhbert predict``) and a corpus of paragraphs (``zhbert terms``).

``TextRecords`` reads a file of texts (or stdin) one record at a time, in constant memory, keeping every record
in its place: a blank line or an empty text is a record too, marked ``skipped``, and each record keeps all its
columns or fields (ids, gold labels) for the output.

>>> [(r.line, r.text, r.skipped) for r in TextRecords("reviews.txt")][:2]
[(1, '房间很干净', None), (2, None, 'blank line')]
>>> inputs = read_texts("reviews.txt")
>>> inputs.texts[:1], inputs.pairs, inputs.skipped
(['房间很干净'], None, 1)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, MissingFileError, UsageError
from ..text.files import decode_lines, json_line, nonblank_lines, read_utf8
from .classification import field_text, is_blank_record, json_array_rows, pick_columns, table_records, table_row

__all__ = ["INPUT_FORMATS", "STDIN", "CorpusLines", "TextRecord", "TextRecords", "TextsToLabel", "read_texts"]

INPUT_FORMATS = ("txt", "csv", "tsv", "jsonl", "json")
STDIN = "-"
BLANK, EMPTY = "blank line", "empty text"


@dataclass(frozen=True)
class TextRecord:
    """One record of a file of texts: a line of ``.txt`` or ``.jsonl``, a row of ``.csv`` or ``.tsv``, an item
    of a ``.json`` array.

    Attributes:
        line: the line of the input it starts on, from 1.
        fields: its columns or fields as read (``{"text": ...}`` for a line of ``.txt``; none for a blank line).
        text: the text to label; None when the record is skipped.
        pair: the second text of a pair (``sentence1``/``sentence2``, or ``text_pair_column``), else None.
        skipped: why there is nothing to label (``"blank line"``, ``"empty text"``), else None.
    """

    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    pair: str | None = None
    skipped: str | None = None


class TextRecords:
    """The records of a file of texts, or of stdin (``"-"``), read lazily in file order; iterate once.

    ``.txt``: one text per line; ``.csv`` and ``.tsv``: a header row, then one record per row; ``.jsonl``: one
    object per line; ``.json``: JSON lines too (CLUE's layout), or one array of objects, which is read whole.
    ``text_column`` names the text's column or field (default: the first of ``TEXT_COLUMNS`` present);
    ``input_format`` overrides the suffix (stdin is ``txt`` unless it says otherwise).

    Raises:
        UsageError: ``path`` is a folder, or an unknown ``input_format`` (on construction).
        MissingFileError: no such file (on construction).
        DataError: an unknown suffix (on construction); while reading, a line that is not UTF-8, a malformed
            record or a missing column, the message naming the file and line.
    """

    def __init__(
        self, path: str | os.PathLike[str], text_column: str | None = None, input_format: str | None = None
    ) -> None:
        self.path, self.text_column = str(path), text_column
        self.name = "<stdin>" if self.path == STDIN else self.path
        if input_format is not None and input_format not in INPUT_FORMATS:
            raise UsageError(
                f"unknown input format {input_format!r}; choose {', '.join(INPUT_FORMATS)}", argument="input_format"
            )
        if self.path == STDIN:
            if input_format == "json":
                raise UsageError("a JSON array is read from a file; give JSON lines on stdin (--input-format jsonl)")
            self.format = input_format or "txt"
            return
        file = Path(self.path)
        if file.is_dir():
            raise UsageError(f"{file}: a folder; give one file of texts", argument="input")
        if not file.is_file():
            raise MissingFileError(f"input not found: {file}")
        suffix = file.suffix.lower()
        if input_format is None and suffix.lstrip(".") not in INPUT_FORMATS:
            raise DataError(
                f"{file}: unknown suffix {suffix!r}; expected .txt (one text per line), .csv, .tsv, .jsonl or .json "
                "(or name the format with --input-format)"
            )
        self.format = input_format or suffix.lstrip(".")

    @property
    def whole(self) -> bool:
        """Whether the input is read whole before its first record (a ``.json`` array)."""
        if self.format != "json" or self.path == STDIN:
            return False
        with open(self.path, "rb") as handle:
            return handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")

    def count_lines(self) -> int | None:
        """How many records a ``.txt`` or ``.jsonl`` file holds (its lines, counted without decoding them), for a
        progress bar; None for stdin and tables, whose records may span lines."""
        if self.path == STDIN or self.format not in ("txt", "jsonl"):
            return None
        count, last = 0, b"\n"
        with open(self.path, "rb") as handle:
            while block := handle.read(1 << 20):
                count += block.count(b"\n")
                last = block[-1:]
        return count + (last != b"\n")

    def __iter__(self) -> Iterator[TextRecord]:
        if self.format == "txt":
            for line, text in self._lines():
                yield TextRecord(line, {"text": text}, text) if text.strip() else TextRecord(line, skipped=BLANK)
        elif self.format in ("csv", "tsv"):
            yield from self._table()
        elif self.whole:
            rows = json_array_rows(Path(self.path), read_utf8(self.path))
            keys = self._columns(rows[0][0], list(rows[0][1])) if rows else None
            for line, row in rows:
                yield self._record(line, row, keys)
        else:
            yield from self._json_lines()

    def _lines(self) -> Iterator[tuple[int, str]]:
        if self.path == STDIN:
            yield from decode_lines(sys.stdin.buffer, self.name)
            return
        with open(self.path, "rb") as handle:
            yield from decode_lines(handle, self.name)

    def _columns(self, line: int, names: list[str]) -> tuple[str, str | None]:
        text, pair, _ = pick_columns(f"{self.name}:{line}", names, self.text_column, None, None, False)
        return text, pair

    def _record(self, line: int, row: dict[str, Any], keys: tuple[str, str | None] | None) -> TextRecord:
        assert keys is not None  # set from the first record
        where = f"{self.name}:{line}"
        text = field_text(where, row, keys[0])
        pair = field_text(where, row, keys[1]) if keys[1] else None
        if not text.strip() or (pair is not None and not pair.strip()):
            return TextRecord(line, row, skipped=EMPTY)
        return TextRecord(line, row, text, pair)

    def _table(self) -> Iterator[TextRecord]:
        header: list[str] | None = None
        keys = None
        lines = (text for _, text in self._lines())
        for line, record in table_records(self.name, lines, self.format == "tsv"):
            if header is None:
                if not is_blank_record(record):
                    header = [name.strip() for name in record]
                    keys = self._columns(line, header)
            elif is_blank_record(record):
                yield TextRecord(line, skipped=BLANK)
            else:
                yield self._record(line, table_row(self.name, line, header, record), keys)

    def _json_lines(self) -> Iterator[TextRecord]:
        keys = None
        for line, text in self._lines():
            if not text.strip():
                yield TextRecord(line, skipped=BLANK)
                continue
            row = json_line(text, f"{self.name}:{line}")
            if not isinstance(row, dict):
                raise DataError(f"{self.name}:{line}: a JSON {type(row).__name__}, expected an object per line")
            keys = keys or self._columns(line, list(row))
            yield self._record(line, row, keys)


@dataclass(frozen=True)
class TextsToLabel:
    """The texts of one file, in order.

    Attributes:
        texts: the texts.
        pairs: the second text of each pair, when a table or JSON file has them; else None.
        skipped: blank lines or empty texts left out.
    """

    texts: list[str]
    pairs: list[str] | None
    skipped: int


def read_texts(path: str | os.PathLike[str], text_column: str | None = None) -> TextsToLabel:
    """All the texts to label in one file, read with ``TextRecords``, blank lines and empty texts left out and
    counted.

    Raises:
        UsageError: ``path`` is a folder.
        MissingFileError: no such file.
        DataError: an unknown suffix, or a line that is not UTF-8 text (the message names the file and line).
    """
    records = list(TextRecords(path, text_column))
    kept = [r for r in records if r.text is not None]
    pairs = [r.pair for r in kept if r.pair is not None]
    texts = [r.text for r in kept if r.text is not None]
    return TextsToLabel(texts, pairs if kept and len(pairs) == len(kept) else None, len(records) - len(kept))


class CorpusLines:
    """The non-blank lines of UTF-8 text files, one paragraph each, read lazily; ``count`` says how many have
    been read so far.

    Raises:
        UsageError: a path is a folder (on construction).
        MissingFileError: a file does not exist (on construction).
        DataError: a line is not UTF-8 text (while reading; the message names the file and line).
    """

    def __init__(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        for path in paths:
            if Path(path).is_dir():
                raise UsageError(
                    f"{path}: a folder; give the text files in it ({Path(path, '*.txt')})", argument="corpus"
                )
            if not Path(path).is_file():
                raise MissingFileError(f"corpus not found: {path}")
        self.paths = list(paths)
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for line in nonblank_lines(self.paths):
            self.count += 1
            yield line
