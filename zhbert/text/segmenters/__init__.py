"""Word segmenters behind whole-word masking: jieba (the default), LTP and one word per character, each in a
module of its own over ``base.Segmenter``; ``get_segmenter`` builds one by name.

Every segmenter has one call shape, ``cut(texts) -> list[list[str]]``, and never changes the text:
``"".join(words) == text`` for every item, with whitespace that a backend drops put back as words of its own.
"""

from __future__ import annotations

import os

from ...errors import UsageError
from .base import Segmenter, restore_text, split_long_text, word_offsets
from .char import CharSegmenter
from .jieba import JiebaSegmenter
from .ltp import LtpSegmenter
from .user_dict import UserWord, read_user_dict

__all__ = [
    "CharSegmenter",
    "JiebaSegmenter",
    "LtpSegmenter",
    "Segmenter",
    "UserWord",
    "get_segmenter",
    "read_user_dict",
    "restore_text",
    "split_long_text",
    "word_offsets",
]


def get_segmenter(
    name: str,
    user_dict: str | os.PathLike[str] | None = None,
    ltp_model: str | os.PathLike[str] | None = None,
) -> Segmenter:
    """Build a segmenter by name: ``jieba`` (default), ``ltp`` (needs ``ltp_model``) or ``char``."""
    if name == "jieba":
        return JiebaSegmenter(user_dict=user_dict)
    words = [entry.word for entry in read_user_dict(user_dict)] if user_dict is not None else []
    if name == "ltp":
        if ltp_model is None:
            raise UsageError("the ltp segmenter needs an LTP model directory", argument="ltp_model")
        return LtpSegmenter(ltp_model, user_words=words)
    if name == "char":
        if words:
            raise UsageError("the char segmenter cannot use a user dictionary", argument="user_dict")
        return CharSegmenter()
    raise UsageError(f"unknown segmenter {name!r}: choose jieba, ltp or char", argument="segmenter")
