"""User dictionaries in jieba's format, one ``word [freq] [tag]`` per line: words a segmenter must keep whole."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from ...errors import DataError, MissingFileError
from ..files import read_utf8

__all__ = ["UserWord", "read_user_dict"]


class UserWord(NamedTuple):
    """One user-dictionary entry."""

    word: str
    freq: int | None = None
    tag: str | None = None


def read_user_dict(path: str | os.PathLike[str]) -> list[UserWord]:
    """Read a jieba-format user dictionary: one ``word [freq] [tag]`` per line, UTF-8.

    Raises:
        MissingFileError: the file does not exist.
        DataError: the file is not UTF-8, or a line has a bad frequency (the message names file:line).
    """
    if not Path(path).is_file():
        raise MissingFileError(f"user dictionary not found: {path}")
    text = read_utf8(path)
    entries = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        parts = line.strip().split()
        if not parts:
            continue
        if len(parts) > 3:
            raise DataError(f"{path}:{lineno}: expected 'word [freq] [tag]', got {line.strip()!r}")
        freq: int | None = None
        tag: str | None = None
        if len(parts) >= 2:
            if parts[1].isdigit():
                freq = int(parts[1])
                tag = parts[2] if len(parts) == 3 else None
            elif len(parts) == 2:
                tag = parts[1]
            else:
                raise DataError(f"{path}:{lineno}: frequency {parts[1]!r} is not a whole number")
        entries.append(UserWord(parts[0], freq, tag))
    return entries
