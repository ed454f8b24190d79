"""Unlabelled text files: the texts to label (``zhbert predict``) and a corpus of paragraphs (``zhbert terms``).

>>> inputs = read_texts("reviews.txt")
>>> inputs.texts[:1], inputs.pairs, inputs.skipped
(['房间很干净'], None, 0)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, MissingFileError, UsageError
from ..text.files import nonblank_lines, read_lines
from .classification import read_cls_file

__all__ = ["CorpusLines", "TextsToLabel", "read_texts"]

_TABLES = (".csv", ".tsv", ".jsonl", ".json")


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
    """The texts to label in one file. ``.txt``: one text per line; ``.csv``, ``.tsv``, ``.jsonl`` and ``.json``:
    as ``read_cls_file`` reads them, labels not needed (``text_column`` names the text's column or field).

    Raises:
        UsageError: ``path`` is a folder.
        MissingFileError: no such file.
        DataError: an unknown suffix, or a line that is not UTF-8 text (the message names the file and line).
    """
    file = Path(path)
    if file.is_dir():
        raise UsageError(f"{file}: a folder; give one file of texts", argument="input")
    if not file.is_file():
        raise MissingFileError(f"input not found: {file}")
    suffix = file.suffix.lower()
    if suffix in _TABLES:
        data = read_cls_file(file, text_column=text_column, label_column=None)
        texts = [e.text for e in data.examples]
        pairs = [e.text_pair for e in data.examples]
        if any(p is None for p in pairs):
            return TextsToLabel(texts, None, data.skipped_empty)
        return TextsToLabel(texts, [p for p in pairs if p is not None], data.skipped_empty)
    if suffix != ".txt":
        raise DataError(
            f"{file}: unknown suffix {suffix!r}; expected .txt (one text per line), .csv, .tsv, .jsonl or .json"
        )
    texts, blank = [], 0
    for _, line in read_lines(file):
        if line.strip():
            texts.append(line)
        else:
            blank += 1
    return TextsToLabel(texts, None, blank)


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
