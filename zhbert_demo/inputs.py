"""The demo's input checks: what text and number fields it takes, and the message (Chinese and English) when it
does not."""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from zhbert.errors import UsageError

__all__ = ["DEFAULT_MAX_CHARS", "MAX_SEED", "InputError", "check_input", "whole_number"]

DEFAULT_MAX_CHARS = 512
MAX_SEED = 2**32 - 1


class InputError(UsageError):
    """Input the demo cannot take; the message says why, in Chinese and English."""


def whole_number(value: Any, low: int, high: int, label: str, name: str) -> int:
    """``value`` (a number field: maybe empty, NaN, infinite or fractional) as an int in ``[low, high]``."""
    problem = f"{label}应为 {low} 到 {high} 之间的整数。({name} must be a whole number from {low} to {high}.)"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(problem)
    if value != int(value) or not low <= int(value) <= high:
        raise InputError(problem)
    return int(value)


def check_input(text: Any, max_chars: int) -> str:
    """Return ``text`` if the demo can analyse it, else raise ``InputError`` with a message for the user."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("请输入文本。(The text is empty.)")
    if len(text) > max_chars:
        raise InputError(
            f"文本过长：{len(text)} 个字符，上限为 {max_chars}。(The text is over {max_chars} characters.)"
        )
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        if (category == "Cc" and ch not in "\n\r\t") or category == "Cs":
            raise InputError(
                f"文本第 {i + 1} 个字符 U+{ord(ch):04X} 是控制字符或无效字符，请删除后再试。"
                f"(Character {i + 1}, U+{ord(ch):04X}, is a control or invalid character.)"
            )
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise InputError(
            "文本中没有汉字、字母或数字（只有标点、符号或表情）。"
            "(The text has no Chinese characters, letters or digits: only punctuation, symbols or emoji.)"
        )
    return text
