"""Users' text files: read as UTF-8 only, with a clear ``file:line`` error otherwise (GBK named as such), and
written so that they appear complete or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from ..errors import DataError, MissingFileError

__all__ = [
    "atomic_write",
    "decode_line",
    "decode_lines",
    "json_line",
    "nonblank_lines",
    "read_lines",
    "read_utf8",
    "sha256_of_files",
]

_GBK_HINT = "; it decodes as GBK/GB18030: convert it with `iconv -f gbk -t utf-8`"


def _not_utf8(path: Path, lineno: int, data: bytes) -> DataError:
    try:
        data.decode("gb18030")
        hint = _GBK_HINT
    except UnicodeDecodeError:
        hint = ""
    return DataError(f"{path}:{lineno}: not UTF-8 text{hint}")


def decode_line(raw: bytes, path: str | os.PathLike[str], lineno: int) -> str:
    """One line of a file as text; ``DataError`` naming ``path:lineno`` if it is binary or not UTF-8."""
    if b"\x00" in raw:
        raise DataError(f"{path}:{lineno}: holds NUL bytes; this looks like a binary file, not UTF-8 text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8(Path(path), lineno, raw) from None
    return text.removeprefix("\ufeff") if lineno == 1 else text


def read_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """Each line of a UTF-8 text file with its number (from 1), without its line end, read one at a time.

    Raises:
        MissingFileError: ``path`` is not a file.
        DataError: a line is not UTF-8 (the message names ``path:line`` and says when it decodes as GBK/GB18030)
            or holds NUL bytes.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: a folder, not a text file" if path.is_dir() else f"{path}: no such file")
    with path.open("rb") as handle:
        yield from decode_lines(handle, path)


def decode_lines(handle: Iterable[bytes], name: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """Each line of an open binary stream (a file, ``sys.stdin.buffer``) with its number (from 1), decoded as
    ``read_lines`` does; ``name`` is the stream's name in errors."""
    for lineno, raw in enumerate(handle, start=1):
        yield lineno, decode_line(raw, name, lineno).rstrip("\r\n")


def nonblank_lines(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    """The lines of UTF-8 text files that hold more than whitespace, in order, checked as ``read_lines`` does."""
    for path in paths:
        for _, line in read_lines(path):
            if line.strip():
                yield line


def json_line(line: str, where: str) -> Any:
    """One line of a JSON-lines file, parsed; ``DataError`` naming ``where`` (``file:line``) if it is not JSON."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"{where}: not valid JSON ({err.msg})") from None


def read_utf8(path: str | os.PathLike[str]) -> str:
    """A whole UTF-8 text file (a leading BOM is dropped).

    Raises:
        FileNotFoundError: the file does not exist.
        DataError: the file is not UTF-8 (the message says when it is GBK/GB18030 instead) or holds NUL bytes.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file")
    data = path.read_bytes()
    if b"\x00" in data:
        lineno = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise DataError(f"{path}:{lineno}: holds NUL bytes; this looks like a binary file, not UTF-8 text")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise _not_utf8(path, data.count(b"\n", 0, err.start) + 1, data) from None


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[TextIO]:
    """Write a UTF-8 text file that appears complete or not at all.

    The content goes to a new file of a random name beside ``path`` (created exclusively, so a planted symlink is
    never followed), which is renamed over ``path`` when the block ends without an error and removed otherwise.
    The file gets the usual permissions (0666 less the umask), not the private ones of a temporary file.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_of_files(paths: Iterable[str | os.PathLike[str]]) -> str:
    """SHA-256 (hex) over the bytes of ``paths``, one after the other in the order given, read 1 MiB at a time."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                digest.update(block)
    return digest.hexdigest()
