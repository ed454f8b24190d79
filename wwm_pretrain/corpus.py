"""Corpus reading, checking, splitting and packing for continued pretraining.

Inputs: ``.txt`` (one paragraph per line, a blank line between documents), ``.jsonl`` (one document per record,
in ``text_column``) or a saved ``datasets`` directory. Each document's paragraphs are segmented, tokenized and
packed into blocks of ``max_seq_length`` tokens, cut only at word boundaries, each with its word ids. Long
documents are handled in units of at most ``UNIT_PARAGRAPHS`` paragraphs, which is also the unit of the
train/validation split.
"""

from __future__ import annotations

import bisect
import hashlib
import os
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from zhbert.errors import DataError, MissingFileError
from zhbert.text import Segmenter, check_file_text, json_line, read_lines, split_long_text, wwm_features

__all__ = [
    "CorpusError",
    "check_corpus",
    "corpus_fingerprint",
    "is_validation_unit",
    "iter_units",
    "pack_units",
]

UNIT_PARAGRAPHS = 100
PIECE_CHARS = 1000  # paragraphs are segmented in pieces of at most this many characters
COLUMNS = ("input_ids", "attention_mask", "token_type_ids", "word_ids")


class CorpusError(DataError):
    """A corpus that cannot be used; the message names the file and, where it helps, the line."""


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """The file's numbered lines (``zhbert.text.read_lines``), a line that is not UTF-8 text a ``CorpusError``."""
    try:
        yield from read_lines(path)
    except DataError as err:
        raise CorpusError(str(err)) from None


def _units_from_paragraphs(paragraphs: list[str]) -> Iterator[str]:
    for lo in range(0, len(paragraphs), UNIT_PARAGRAPHS):
        yield "\n".join(paragraphs[lo : lo + UNIT_PARAGRAPHS])


def _iter_txt(path: Path) -> Iterator[str]:
    paragraphs: list[str] = []
    for _, line in _lines(path):
        if text := line.strip():
            paragraphs.append(text)
        elif paragraphs:
            yield from _units_from_paragraphs(paragraphs)
            paragraphs = []
    if paragraphs:
        yield from _units_from_paragraphs(paragraphs)


def _iter_jsonl(path: Path, text_column: str) -> Iterator[str]:
    for lineno, line in _lines(path):
        if not line.strip():
            continue
        try:
            record = json_line(line, f"{path}:{lineno}")
        except DataError as err:
            raise CorpusError(str(err)) from None
        if not isinstance(record, dict) or text_column not in record:
            keys = sorted(record) if isinstance(record, dict) else type(record).__name__
            raise CorpusError(f"{path}:{lineno}: no {text_column!r} field (found {keys})", argument="text_column")
        text = record[text_column]
        if not isinstance(text, str):
            raise CorpusError(f"{path}:{lineno}: field {text_column!r} is {type(text).__name__}, not text")
        try:
            check_file_text(text, f"{path}:{lineno}", f"field {text_column!r}")
        except DataError as err:
            raise CorpusError(str(err)) from None
        paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
        yield from _units_from_paragraphs(paragraphs)


def _iter_saved_dataset(path: Path, text_column: str) -> Iterator[str]:
    import datasets

    if not (path / "dataset_info.json").is_file() and not (path / "dataset_dict.json").is_file():
        raise CorpusError(f"{path} is a directory but not a saved `datasets` directory (no dataset_info.json)")
    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as err:  # datasets raises several types for unreadable directories
        raise CorpusError(f"{path}: cannot be read as a saved `datasets` directory ({err})") from None
    if isinstance(loaded, datasets.DatasetDict):
        if "train" not in loaded:
            raise CorpusError(f"{path}: a DatasetDict without a 'train' split (splits: {list(loaded)})")
        loaded = loaded["train"]
    if text_column not in loaded.column_names:
        raise CorpusError(f"{path}: no {text_column!r} column (columns: {loaded.column_names})", argument="text_column")
    for i, text in enumerate(loaded[text_column]):
        if not isinstance(text, str):
            raise CorpusError(f"{path}: row {i} column {text_column!r} is {type(text).__name__}, not text")
        yield from _units_from_paragraphs([p.strip() for p in text.split("\n") if p.strip()])


def iter_units(path: str | os.PathLike[str], text_column: str = "text") -> Iterator[str]:
    """Yield the corpus's units (a document, or up to ``UNIT_PARAGRAPHS`` of its paragraphs) as text."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"corpus not found: {path}")
    if path.is_dir():
        return _iter_saved_dataset(path, text_column)
    if path.stat().st_size == 0:
        raise CorpusError(f"{path} is empty")
    if path.suffix.lower() in (".jsonl", ".json"):
        return _iter_jsonl(path, text_column)
    return _iter_txt(path)


def check_corpus(path: str | os.PathLike[str], text_column: str = "text", max_bytes: int | None = None) -> None:
    """Read the corpus (or its first ``max_bytes``) and raise ``CorpusError`` if it is unusable."""
    read = 0
    found = False
    for unit in iter_units(path, text_column):
        found = True
        read += len(unit.encode("utf-8"))
        if max_bytes is not None and read >= max_bytes:
            break
    if not found:
        raise CorpusError(f"{path} holds no text")


def is_validation_unit(index: int, percentage: float) -> bool:
    """A fixed, well-spread choice of about ``percentage`` % of unit indices."""
    return ((index * 2654435761) % 2**32) / 2**32 < percentage / 100.0


def corpus_fingerprint(path: str | os.PathLike[str]) -> str:
    """SHA-256 over the corpus bytes (all files of a directory, with their relative paths)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                digest.update(block)
    return digest.hexdigest()


def pack_units(
    units: list[str], tokenizer: Any, segmenter: Segmenter, max_seq_length: int
) -> dict[str, list[list[int]]]:
    """Segment, tokenize and pack units into blocks of at most ``max_seq_length`` tokens.

    Blocks end at word boundaries (a word longer than a block is cut). Each block is ``[CLS] ... [SEP]`` with
    word ids counting from 0; blocks never span two units.
    """
    capacity = max_seq_length - 2
    pieces: list[str] = []
    owner: list[int] = []
    for u, unit in enumerate(units):
        for paragraph in unit.split("\n"):
            for piece in split_long_text(paragraph, PIECE_CHARS):
                pieces.append(piece)
                owner.append(u)
    # A token covers at least one character, so no piece is truncated.
    feats = wwm_features(pieces, tokenizer, segmenter, max_length=PIECE_CHARS + 2)
    out: dict[str, list[list[int]]] = {name: [] for name in COLUMNS}
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    by_unit: list[list[dict[str, list[int]]]] = [[] for _ in units]
    for u, feat in zip(owner, feats, strict=True):
        by_unit[u].append(feat)
    for unit_feats in by_unit:
        if not unit_feats:
            continue
        ids = np.fromiter(chain.from_iterable(f["input_ids"][1:-1] for f in unit_feats), dtype=np.int64)
        words_list, offset = [], 0
        for f in unit_feats:
            w = np.asarray(f["word_ids"][1:-1], dtype=np.int64)
            if w.size:
                words_list.append(w + offset)
                offset += int(w.max()) + 1
        if not ids.size:
            continue
        words = np.concatenate(words_list)
        word_starts = np.flatnonzero(np.diff(words, prepend=-1) != 0).tolist()
        start, n = 0, ids.size
        while start < n:
            end = n
            if start + capacity < n:
                k = bisect.bisect_right(word_starts, start + capacity) - 1
                end = word_starts[k] if word_starts[k] > start else start + capacity
            block_words = words[start:end] - words[start]
            out["input_ids"].append([cls_id, *ids[start:end].tolist(), sep_id])
            out["word_ids"].append([-1, *block_words.tolist(), -1])
            out["attention_mask"].append([1] * (end - start + 2))
            out["token_type_ids"].append([0] * (end - start + 2))
            start = end
    return out
