"""Predictions written as JSON lines while they are made: whole lines only, synced to disk a chunk at a time, and
continued after an interruption (``resume``): what is written is checked against the input and kept, a
half-written last line (a killed process) is cut off.

>>> out = LinesOutput("predictions.jsonl", resume=True)
>>> rest = out.skip_written(iter(TextRecords("texts.txt")))   # the records not yet answered
>>> out.write(['{"line": 7, ...}\\n'])
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import DataError, UsageError
from .texts import STDIN, TextRecord

__all__ = ["LinesOutput"]


class LinesOutput:
    """A JSON-lines file (or stdout, ``"-"``) whose every line answers one input record and names its input line
    (``"line"``).

    Attributes:
        path: the file, or ``"-"``.
        lines: the complete lines in it, those found on resuming included.
        cut: bytes of a half-written last line cut off on resuming.

    Raises:
        UsageError: the file is not empty and ``resume`` is False, or ``resume`` with stdout (on construction).
    """

    def __init__(self, path: str | os.PathLike[str], resume: bool = False) -> None:
        self.path, self.lines, self.cut = str(path), 0, 0
        self._fd: int | None = None
        self._size = 0  # bytes of complete lines
        if self.path == STDIN:
            if resume:
                raise UsageError("--resume continues a file; the output is stdout (-)", argument="resume")
            self.existed, self.resume = False, False
            return
        file = Path(self.path)
        self.existed = file.exists()
        size = file.stat().st_size if file.is_file() else 0
        if size and not resume:
            raise UsageError(
                f"{file}: not empty ({size:,} bytes); to continue it, pass --resume; to start over, remove it"
            )
        self.resume = bool(size)

    def skip_written(
        self, records: Iterator[TextRecord], same: Callable[[TextRecord, dict[str, Any]], bool] | None = None
    ) -> Iterator[TextRecord]:
        """``records`` after those the file already answers: the n-th complete line must answer the n-th record
        (its ``"line"``, and ``same(record, line)`` when given: the record's fields, say).

        Raises:
            DataError: a line that zhbert predict did not write, or that answers another input line than the
                record in its place (another input, or another ``--shard``).
        """
        for n, row in self._written():
            line = row["line"]
            record = next(records, None)
            if record is None:
                raise DataError(
                    f"{self.path}:{n}: answers input line {line}, but the input has only {n - 1} records: "
                    "the output of another input"
                )
            if record.line != line:
                raise DataError(
                    f"{self.path}:{n}: answers input line {line}, but this input's record {n} is on line "
                    f"{record.line}: the output of another input or --shard"
                )
            if same is not None and not same(record, row):
                raise DataError(
                    f"{self.path}:{n}: answers input line {line}, but that line of this input holds other fields: "
                    "the output of another input"
                )
        return records

    def _written(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line of the file, its object) of each complete line, a half-written last one cut off."""
        if not self.resume:
            return
        with open(self.path, "r+b") as handle:
            end = _complete_end(handle)
            self.cut = handle.seek(0, os.SEEK_END) - end
            if self.cut:
                handle.truncate(end)
                os.fsync(handle.fileno())
        self._size = end
        with open(self.path, "rb") as handle:
            for n, raw in enumerate(handle, start=1):
                try:
                    row = json.loads(raw)
                except ValueError:
                    row = None
                if (
                    not isinstance(row, dict)
                    or isinstance(row.get("line"), bool)
                    or not isinstance(row.get("line"), int)
                ):
                    raise DataError(f'{self.path}:{n}: not a line of zhbert predict (a JSON object with its "line")')
                self.lines = n
                yield n, row

    def write(self, lines: Sequence[str]) -> None:
        """Append whole lines (each ending in a newline) and sync them to disk; if the write is interrupted (Ctrl-C),
        the file is cut back to its last whole line. Lines written whole stay when the sync is interrupted."""
        data = "".join(lines).encode("utf-8")
        if self.path == STDIN:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            self.lines += len(lines)
            return
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        except BaseException:
            os.ftruncate(self._fd, self._size)
            raise
        self._size += len(data)
        self.lines += len(lines)
        os.fsync(self._fd)

    def close(self, discard: bool = False) -> None:
        """Close the file; ``discard`` removes it if this run created it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if discard and not self.existed and self.path != STDIN:
            Path(self.path).unlink(missing_ok=True)


def _complete_end(handle: BinaryIO) -> int:
    """The size of a file up to and including its last newline."""
    end = handle.seek(0, os.SEEK_END)
    at = end
    while at > 0:
        step = min(at, 1 << 16)
        handle.seek(at - step)
        block = handle.read(step)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return at - step + newline + 1
        at -= step
    return 0
