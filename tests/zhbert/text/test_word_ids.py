from __future__ import annotations

import time
import typing

import jieba
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_DATA
from zhbert.text import (
    CharSegmenter,
    JiebaSegmenter,
    chinese_ref_from_word_ids,
    read_chinese_ref,
    word_ids_from_chinese_ref,
    write_chinese_ref,
    wwm_features,
)


@pytest.fixture(scope="module")
def jieba_seg():
    return JiebaSegmenter()


def tokens_of(tokenizer, feature):
    return tokenizer.convert_ids_to_tokens(feature["input_ids"])


def test_golden_sentence(tokenizer, jieba_seg):
    (feat,) = wwm_features(["中华人民共和国刑法"], tokenizer, jieba_seg)
    assert feat["word_ids"] == [-1, 0, 0, 0, 0, 0, 0, 0, 1, 1, -1]
    assert set(feat) == {"input_ids", "attention_mask", "token_type_ids", "word_ids"}
    assert feat["attention_mask"] == [1] * 11 and feat["token_type_ids"] == [0] * 11


def test_mixed_scripts(tokenizer, jieba_seg):
    text = "今天 天气很好！ iPhone15 ２０２４年😀 café\x00x\u200bＡＢＣ 龘"
    (feat,) = wwm_features([text], tokenizer, jieba_seg)
    pairs = list(zip(tokens_of(tokenizer, feat), feat["word_ids"], strict=True))
    assert pairs == [
        ("[CLS]", -1),
        ("今", 0), ("天", 0),
        ("天", 1), ("气", 1),
        ("很", 2), ("好", 3), ("！", 4),
        ("iphone", 5), ("##15", 5),  # ## pieces of one Latin word: one word
        ("２０", 6), ("##２", 6), ("##４", 6),  # full-width digits: jieba splits them, the tokenizer joins them
        ("年", 7),
        ("[UNK]", 8),  # emoji
        ("cafe", 9), ("##x", 9), ("##ａ", 9), ("##ｂ", 9), ("##ｃ", 9),  # the dropped \x00 and \u200b glue them
        ("[UNK]", 10),  # a character the vocab lacks
        ("[SEP]", -1),
    ]  # fmt: skip


def test_jieba_word_ids_reproduce_jieba_lcut(tokenizer, jieba_seg, law_lines):
    lines = [line for line in law_lines if len(line) <= 126]
    feats = wwm_features(lines, tokenizer, jieba_seg, max_length=128)
    checked = 0
    for line, feat in zip(lines, feats, strict=True):
        tokens = tokens_of(tokenizer, feat)[1:-1]
        if tokens != list(line):  # keep lines whose characters are all single vocab tokens
            continue
        expected = [i for i, word in enumerate(jieba.lcut(line)) for _ in word]
        assert feat["word_ids"] == [-1, *expected, -1], line
        checked += 1
    assert checked > 1000


def test_user_dict_term_is_one_word(tokenizer):
    seg = JiebaSegmenter(user_dict=TEST_DATA / "legal_terms.txt")
    text = "被告人犯非法吸收公众存款罪。"
    (feat,) = wwm_features([text], tokenizer, seg)
    start = text.index("非法")
    ids = feat["word_ids"][1 + start : 1 + start + len("非法吸收公众存款罪")]
    assert len(set(ids)) == 1
    assert feat["word_ids"][start] != ids[0] and feat["word_ids"][start + 10] != ids[0]


def test_truncation_cuts_a_word(tokenizer, jieba_seg):
    text = "根据" + "中华人民共和国" + "刑法"
    (feat,) = wwm_features([text], tokenizer, jieba_seg, max_length=6)  # [CLS] 根 据 中 华 [SEP]
    assert feat["word_ids"] == [-1, 0, 0, 1, 1, -1]


def test_only_the_kept_part_is_segmented(tokenizer):
    class Recorder(CharSegmenter):
        seen: typing.ClassVar[list[str]] = []

        def _cut(self, texts):
            self.seen.extend(texts)
            return super()._cut(texts)

    seg = Recorder()
    wwm_features(["法" * 10_000], tokenizer, seg, max_length=16)
    assert len(seg.seen[0]) < 100


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \t\n",
        "\x00\x01\x1f\x7f",
        "😀🎉👍",
        "法" * 100_000,
        "a" * 100_000,
        "龘" * 100_000,
        "。，！" * 1000,
    ],
    ids=["empty", "whitespace", "control", "emoji", "long-han", "long-latin", "long-unk", "punct"],
)
def test_bad_input_gives_sensible_features_quickly(tokenizer, jieba_seg, text):
    start = time.perf_counter()
    (feat,) = wwm_features([text], tokenizer, jieba_seg, max_length=128)
    assert time.perf_counter() - start < 5
    n = len(feat["input_ids"])
    assert 2 <= n <= 128 and len(feat["word_ids"]) == n
    assert feat["word_ids"][0] == -1 and feat["word_ids"][-1] == -1


def test_special_token_spelling_in_text_is_text(tokenizer, jieba_seg):
    # A corpus that quotes "[MASK]" or "[CLS]" gets their characters, never the special tokens themselves.
    (feat,) = wwm_features(["请把[MASK]换成字[CLS]"], tokenizer, jieba_seg)
    inner = feat["input_ids"][1:-1]
    assert not set(inner) & set(tokenizer.all_special_ids)
    assert tokenizer.convert_ids_to_tokens(inner)[2:6] == ["[", "ma", "##sk", "]"]
    assert all(w >= 0 for w in feat["word_ids"][1:-1])


def test_bad_input_errors_name_the_item(tokenizer, jieba_seg):
    with pytest.raises(ValueError, match=r"texts\[1\] holds a lone surrogate"):
        wwm_features(["好", "坏\udc80"], tokenizer, jieba_seg)
    with pytest.raises(TypeError, match=r"texts\[2\] is bytes"):
        wwm_features(["好", "坏", b"x"], tokenizer, jieba_seg)
    with pytest.raises(ValueError, match="max_length"):
        wwm_features(["好"], tokenizer, jieba_seg, max_length=2)


def test_slow_tokenizer_is_refused(jieba_seg):
    class NotFast:
        is_fast = False

    with pytest.raises(TypeError, match="fast tokenizer"):
        wwm_features(["好"], NotFast(), jieba_seg)


def check_word_ids(tokenizer, feat):
    special = set(tokenizer.all_special_ids)
    prev = -1
    for token_id, word in zip(feat["input_ids"], feat["word_ids"], strict=True):
        if token_id in special and token_id != tokenizer.unk_token_id:
            assert word == -1
            continue
        assert word >= 0, "every non-special token gets a word id"
        assert word in (prev, prev + 1), "ids start at 0 and never decrease or skip"
        prev = word


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300), max_size=6))
def test_property_arbitrary_unicode(tokenizer, jieba_seg, texts):
    for seg in (jieba_seg, CharSegmenter()):
        feats = wwm_features(texts, tokenizer, seg, max_length=64)
        assert len(feats) == len(texts)
        for feat in feats:
            assert len(feat["input_ids"]) == len(feat["word_ids"]) <= 64
            check_word_ids(tokenizer, feat)


def test_chinese_ref_golden(tokenizer):
    # run_chinese_ref.py marks positions (in input_ids, [CLS] = 0) of Chinese characters inside a word.
    class Fixed(CharSegmenter):
        def _cut(self, texts):
            return [["我", "爱", "北京", "天安门"]]

    (feat,) = wwm_features(["我爱北京天安门"], tokenizer, Fixed())
    ref = chinese_ref_from_word_ids(feat["input_ids"], feat["word_ids"], tokenizer)
    assert ref == [4, 6, 7]
    assert word_ids_from_chinese_ref(feat["input_ids"], ref, tokenizer) == feat["word_ids"]


def test_chinese_ref_file_round_trip(tmp_path, tokenizer, jieba_seg, law_lines):
    feats = wwm_features(law_lines[:500], tokenizer, jieba_seg, max_length=128)
    refs = [chinese_ref_from_word_ids(f["input_ids"], f["word_ids"], tokenizer) for f in feats]
    path = tmp_path / "ref.txt"
    write_chinese_ref(path, refs)
    assert read_chinese_ref(path) == refs
    same = sum(
        word_ids_from_chinese_ref(f["input_ids"], r, tokenizer) == f["word_ids"]
        for f, r in zip(feats, refs, strict=True)
    )
    # The old format cannot say that a non-Chinese token continues a word ("第5条" is fine, "年2024" not).
    assert same >= 0.9 * len(feats)


def test_read_chinese_ref_errors(tmp_path, tokenizer):
    path = tmp_path / "ref.txt"
    path.write_text("[1, 2]\n[3, x]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"ref.txt:2: not a JSON list"):
        read_chinese_ref(path)
    path.write_text('[1]\n{"a": 1}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"ref.txt:2: expected a JSON list"):
        read_chinese_ref(path)
    path.write_bytes(b"[1]\n" + "[2] 中文".encode("gbk") + b"\n")
    with pytest.raises(ValueError, match=r"ref.txt:2: not UTF-8 text; it decodes as GBK"):
        read_chinese_ref(path)
    with pytest.raises(ValueError, match="outside the 3 tokens"):
        word_ids_from_chinese_ref([101, 872, 102], [5], tokenizer)
