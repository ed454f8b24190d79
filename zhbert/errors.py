"""The errors zhbert raises for its users' mistakes: one base class, ``ZhbertError``.

Every command-line entry point reports a ``ZhbertError`` as one line, ``<command>: error: <message>``, and exits
with status 2 (``ZHBERT_DEBUG=1`` shows the traceback). Anything else is a bug and keeps its traceback.

An error may name the Python argument it concerns (``argument="fix_tags"``); messages never spell command-line
flags, and each command line adds its own flag as a hint.
"""

from __future__ import annotations

__all__ = ["ArgumentTypeError", "DataError", "MissingExtraError", "MissingFileError", "UsageError", "ZhbertError"]


class ZhbertError(Exception):
    """A mistake in what the user gave zhbert: an argument, a file, a model directory.

    Attributes:
        argument: the name of the Python argument (or configuration field) the error concerns, if any.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class UsageError(ZhbertError, ValueError):
    """An argument value that cannot be used (also a ``ValueError``)."""


class ArgumentTypeError(ZhbertError, TypeError):
    """An argument of the wrong type, e.g. a bare string where a list of texts is expected (also a ``TypeError``)."""


class DataError(ZhbertError, ValueError):
    """A data file that cannot be used; the message names the file and, where it helps, the line."""


class MissingFileError(ZhbertError, FileNotFoundError):
    """A file or folder that does not exist (also a ``FileNotFoundError``)."""


class MissingExtraError(ZhbertError, ImportError):
    """An optional part of zhbert that is not installed; the message says how to install it."""
