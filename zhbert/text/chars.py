"""Which characters are Chinese characters: the two definitions zhbert needs, side by side.

- ``is_cjk`` / ``cjk_mask`` (one character / an array of code points): the CJK ideographs as Unicode (16.0) has
  them: the CJK Unified Ideographs block and its extensions A to I, the two blocks of compatibility ideographs,
  and 〇 (U+3007 IDEOGRAPHIC NUMBER ZERO, a Han ideograph outside those blocks, as in 二〇二四年). Unassigned
  code points inside a block count, so a character a later Unicode version assigns there is recognised already.
  Term discovery counts n-grams of these.
- ``is_bert_chinese``: the characters a BERT tokenizer cuts off as words of their own (``_is_chinese_char`` of
  transformers' ``BasicTokenizer``, fixed in 2018): the unified block, extensions A to E and the compatibility
  blocks, but not 〇 or the later extensions, so ``##〇`` can occur (``a〇`` -> ``a ##〇``). Word ids and
  ``chinese_ref`` files follow the tokenizer, so they use this one.

    >>> is_cjk("〇"), is_bert_chinese("〇"), is_cjk("a")
    (True, False, False)
"""

from __future__ import annotations

import unicodedata

import numpy as np

__all__ = ["BERT_CHINESE_RANGES", "CJK_RANGES", "cjk_mask", "is_bert_chinese", "is_cjk", "is_mark"]

# (first, last) code points, both included, ascending.
CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x3007, 0x3007),  # 〇 ideographic number zero
    (0x3400, 0x4DBF),  # extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x2A6DF),  # extension B
    (0x2A700, 0x2B73F),  # extension C
    (0x2B740, 0x2B81F),  # extension D
    (0x2B820, 0x2CEAF),  # extension E
    (0x2CEB0, 0x2EBEF),  # extension F
    (0x2EBF0, 0x2EE5F),  # extension I
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
    (0x30000, 0x3134F),  # extension G
    (0x31350, 0x323AF),  # extension H
)

# The same kind of table, as a BERT tokenizer has it.
BERT_CHINESE_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0x2F800, 0x2FA1F),
)


def _merged(ranges: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if merged and merged[-1][1] + 1 == lo:
            merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


_CJK_RUNS = _merged(CJK_RANGES)  # the extensions C to I follow one another: 8 runs to test, not 13


def is_cjk(char: str) -> bool:
    """Whether the one character ``char`` is a CJK ideograph."""
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in CJK_RANGES)


def cjk_mask(codes: np.ndarray) -> np.ndarray:
    """Which of the code points ``codes`` (any integer array) are CJK ideographs: a boolean array of its shape."""
    codes = np.asarray(codes)
    mask = np.zeros(codes.shape, dtype=bool)
    for lo, hi in _CJK_RUNS:
        mask |= (codes >= lo) & (codes <= hi)
    return mask


def is_bert_chinese(char: str) -> bool:
    """Whether a BERT tokenizer cuts the one character ``char`` off as a word of its own."""
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in BERT_CHINESE_RANGES)


def is_mark(char: str) -> bool:
    """A character that belongs to the one before it: a combining mark, a variation selector, a zero-width joiner
    (the tokenizer drops them, so an entity's end is carried over them)."""
    return unicodedata.category(char).startswith("M") or char == "\u200d" or "\ufe00" <= char <= "\ufe0f"
