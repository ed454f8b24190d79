"""zhbert.text.chars: the one definition of a Chinese character, for one character and for arrays of code points,
as the word ids and the term counts use it."""

from __future__ import annotations

import itertools
import unicodedata

import numpy as np
import pytest

from zhbert.terms.ngrams import encode_chunk
from zhbert.text.chars import BERT_CHINESE_RANGES, CJK_RANGES, cjk_mask, is_bert_chinese, is_cjk
from zhbert.text.word_ids import text_token_ids

IDEOGRAPHS = {
    "〇": "U+3007 ideographic number zero",
    "中": "unified",
    "\u9fff": "last of the unified block",
    "㐀": "extension A",
    "\U00020000": "extension B (𠀀)",
    "\U0002a700": "extension C",
    "\U0002b740": "extension D",
    "\U0002b820": "extension E",
    "\U0002ceb0": "extension F",
    "\U0002ebf0": "extension I",
    "\U00030000": "extension G",
    "\U00031350": "extension H",
    "\uf900": "compatibility (豈)",
    "\ufa6a": "compatibility, last assigned",
    "\U0002f800": "compatibility supplement",
}
NOT_IDEOGRAPHS = {
    "a": "Latin",
    "１": "full-width digit",
    "。": "ideographic full stop",
    "〆": "U+3006 ideographic closing mark",
    "々": "U+3005 iteration mark",
    "〡": "U+3021 Hangzhou numeral one",
    "⺀": "CJK radical",
    "⼀": "Kangxi radical",
    "あ": "hiragana",
    "한": "hangul",
    "\u4dc0": "hexagram, just past extension A",
    "\U0002a6e0": "between extensions B and C",
    "\U000323b0": "past extension H",
    "😀": "emoji",
}


@pytest.mark.parametrize("char", IDEOGRAPHS)
def test_ideographs(char):
    assert is_cjk(char), IDEOGRAPHS[char]
    assert cjk_mask(np.array([ord(char)])).tolist() == [True]


@pytest.mark.parametrize("char", NOT_IDEOGRAPHS)
def test_not_ideographs(char):
    assert not is_cjk(char), NOT_IDEOGRAPHS[char]
    assert cjk_mask(np.array([ord(char)])).tolist() == [False]


def test_every_assigned_character_named_an_ideograph_is_one():
    # Unicode names every unified and compatibility ideograph "CJK ... IDEOGRAPH-XXXX"; the ranges hold them all
    # (Python's Unicode database may be older than the ranges, which also cover later extensions).
    for code in range(0x30000 + 0x1000):
        name = unicodedata.name(chr(code), "")
        if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")):
            assert is_cjk(chr(code)), name


def test_the_array_form_agrees_with_the_scalar_one_everywhere():
    codes = np.arange(0x323B0 + 16, dtype=np.int64)
    expected = np.array([is_cjk(chr(c)) for c in codes.tolist()])
    assert np.array_equal(cjk_mask(codes), expected)
    assert np.array_equal(cjk_mask(codes.astype(np.uint32)), expected)  # as the term counts store them
    assert cjk_mask(codes.reshape(-1, 16)).shape == (len(codes) // 16, 16)
    assert all(lo <= hi for lo, hi in CJK_RANGES)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(CJK_RANGES))  # ascending, apart


def test_zero_is_an_ideograph_to_the_term_counts():
    # 〇 joins the n-grams around it, as 二 and 四 do.
    assert cjk_mask(encode_chunk(["二〇二四年"])).sum() == 5


@pytest.mark.parametrize(("char", "cut_off"), [("中", True), ("㐀", True), ("豈", True), ("〇", False)])
def test_is_bert_chinese_is_what_the_tokenizer_cuts_off(tokenizer, char, cut_off):
    assert is_bert_chinese(char) is cut_off
    assert tokenizer.tokenize("a" + char)[0] == "a"
    assert (tokenizer.tokenize("a" + char)[1] != "##" + char) is cut_off


def test_the_word_ids_follow_the_tokenizer_on_zero(tokenizer):
    # ##〇 occurs (a〇 -> a ##〇), so the collator may draw it and MaskFiller may propose it; ##中 never occurs.
    zero, zero_piece, zhong_piece = tokenizer.convert_tokens_to_ids(["〇", "##〇", "##中"])
    kept = set(text_token_ids(tokenizer))
    assert {zero, zero_piece} <= kept and zhong_piece not in kept
    assert all(lo <= hi for lo, hi in BERT_CHINESE_RANGES)
    assert all(is_cjk(chr(lo)) and is_cjk(chr(hi)) for lo, hi in BERT_CHINESE_RANGES)  # a subset of Unicode's
