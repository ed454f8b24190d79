"""The one check of texts handed to zhbert's Python API: a list of strings, each encodable as UTF-8."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from ..errors import ArgumentTypeError, DataError, UsageError

__all__ = ["check_file_text", "check_int", "check_texts"]


def check_texts(texts: Any, name: str = "texts", *, nonempty: bool = False) -> list[str]:
    """Return ``texts`` as a list of str, or raise a clear error naming the offending item.

    ``nonempty``: the one rule of the predictors. A text that is empty or only whitespace asks nothing, so every
    predictor refuses it by its position rather than answering it (a classifier would have to invent a label);
    callers that must keep a place for such a text (``zhbert predict``, the server) mark it themselves.

    Raises:
        TypeError: ``texts`` is a bare string, a set or a mapping (no order), or an item is not a string.
        ValueError: an item holds a lone surrogate, which no tokenizer can encode, or (with ``nonempty``) an item
            is empty or only whitespace.
    """
    if isinstance(texts, str):
        raise ArgumentTypeError(f"{name} must be a list of strings, not a single string; wrap it as [text]")
    if isinstance(texts, (Set, Mapping)):  # no order to give the results back in
        raise ArgumentTypeError(f"{name} must be a list of strings, got a {type(texts).__name__}, which has no order")
    try:
        items = list(texts)
    except TypeError:
        raise ArgumentTypeError(f"{name} must be a list of strings, got {type(texts).__name__}") from None
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise ArgumentTypeError(f"{name}[{i}] is {type(text).__name__}, expected str")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise UsageError(
                f"{name}[{i}] holds a lone surrogate {text[err.start]!r} at character {err.start}; "
                "decode the source with errors='replace' or remove it"
            ) from None
        if nonempty and not text.strip():
            raise UsageError(
                f"{name}[{i}] is empty{' or only whitespace' if text else ''}: there is nothing to predict; "
                "leave it out (keep its place in your own list if you need it)",
                argument=name,
            )
    return items


def check_file_text(text: str, where: str, field: str = "text") -> str:
    """``text`` read from a file (a JSON string may hold ``"\\ud800"``), or ``DataError`` naming ``where``
    (``file:line``) when it holds a lone surrogate, which no tokenizer can encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise DataError(
            f"{where}: {field} holds a lone surrogate (U+{ord(text[err.start]):04X}) at character {err.start}; "
            "a JSON escape such as \\ud800 that is half of a pair: remove it or write the whole character"
        ) from None
    return text


def check_int(value: object, name: str, low: int, high: int | None = None) -> int:
    """``value`` if it is a whole number (not a bool) from ``low`` to ``high``; else ``UsageError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"between {low} and {high}"
        raise UsageError(f"{name} must be a whole number {bounds}, got {value!r}", argument=name)
    return value
