from __future__ import annotations

import pickle
import sys

import jieba
import pytest

from tests.conftest import TEST_DATA
from zhbert.errors import UsageError
from zhbert.text import (
    CharSegmenter,
    JiebaSegmenter,
    LtpSegmenter,
    check_texts,
    get_segmenter,
    read_user_dict,
    restore_text,
    split_long_text,
    word_offsets,
)

LEGAL_DICT = TEST_DATA / "legal_terms.txt"


def test_jieba_matches_jieba_lcut(law_lines):
    seg = JiebaSegmenter()
    lines = law_lines[:300]
    assert seg.cut(lines) == [jieba.lcut(line) for line in lines]


def test_user_dict_keeps_terms_whole_and_leaves_global_jieba_alone():
    text = "被告人犯非法吸收公众存款罪，缓刑考验期限为三年。"
    assert "非法吸收公众存款罪" not in jieba.lcut(text)
    words = JiebaSegmenter(user_dict=LEGAL_DICT).cut([text])[0]
    assert "非法吸收公众存款罪" in words
    assert "缓刑考验期限" in words
    assert "非法吸收公众存款罪" not in jieba.lcut(text)  # jieba's global tokenizer is untouched


def test_add_words_before_and_after_first_cut():
    seg = JiebaSegmenter()
    seg.add_words(["危害公共安全罪"])
    assert "危害公共安全罪" in seg.cut(["构成危害公共安全罪的"])[0]
    seg.add_words([("拒不执行判决裁定罪", 50)])
    assert "拒不执行判决裁定罪" in seg.cut(["犯拒不执行判决裁定罪"])[0]
    assert seg.user_words() == {"危害公共安全罪", "拒不执行判决裁定罪"}


def test_read_user_dict_formats(tmp_path):
    entries = read_user_dict(LEGAL_DICT)
    assert entries[0] == ("非法吸收公众存款罪", 20, "n")
    assert entries[2] == ("缓刑考验期限", 10, None)
    assert entries[3] == ("危害公共安全罪", None, None)
    tagged = tmp_path / "tagged.txt"
    tagged.write_text("云计算 n\n", encoding="utf-8")
    assert read_user_dict(tagged) == [("云计算", None, "n")]


def test_read_user_dict_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        read_user_dict(tmp_path / "missing.txt")
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("刑法 3\n".encode("gbk"))
    with pytest.raises(ValueError, match=r"gbk.txt:1: not UTF-8 text; it decodes as GBK"):
        read_user_dict(gbk)
    bad = tmp_path / "bad.txt"
    bad.write_text("刑法 3\n民法 many n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:2: frequency 'many'"):
        read_user_dict(bad)
    with pytest.raises(ValueError, match=r"bad.txt:2"):
        JiebaSegmenter(user_dict=bad)


def test_segmentation_keeps_text(law_lines, resume_sentences):
    tricky = [
        "a  b\n c\r\nd",
        "  前后空白  ",
        "\t",
        "",
        "全角ＡＢＣ１２３ and ascii",
        "😀表情🎉",
        "\x00控制\x1f字符",
    ]
    texts = law_lines[:200] + resume_sentences[:200] + tricky
    for seg in (JiebaSegmenter(), CharSegmenter()):
        for text, words in zip(texts, seg.cut(texts), strict=True):
            assert "".join(words) == text


def test_jieba_never_loads_paddle():
    JiebaSegmenter().cut(["今天天气很好"])
    assert not any(name.startswith("paddle") for name in sys.modules)


def test_jieba_segmenter_pickles_without_its_dictionary():
    seg = JiebaSegmenter(user_dict=LEGAL_DICT)
    seg.cut(["热身"])
    blob = pickle.dumps(seg)
    assert len(blob) < 10_000
    clone = pickle.loads(blob)
    assert "非法吸收公众存款罪" in clone.cut(["犯非法吸收公众存款罪"])[0]
    assert clone.cache_key() == seg.cache_key()
    assert JiebaSegmenter().cache_key() != seg.cache_key()


def test_char_segmenter():
    assert CharSegmenter().cut(["刑法 A"]) == [["刑", "法", " ", "A"]]


def test_check_texts_names_the_item():
    with pytest.raises(TypeError, match=r"texts\[2\] is int"):
        check_texts(["a", "b", 3])
    with pytest.raises(TypeError, match="not a single string"):
        check_texts("刑法")
    with pytest.raises(ValueError, match=r"texts\[1\] holds a lone surrogate"):
        check_texts(["ok", "bad\ud800"])
    with pytest.raises(TypeError, match=r"texts\[0\] is NoneType"):
        JiebaSegmenter().cut([None])


def test_word_offsets_cover_the_text_in_order():
    words = ["中华人民共和国", " ", "刑法", "😀", "第3条"]
    offsets = word_offsets(words)
    text = "".join(words)
    assert [text[a:b] for a, b in offsets] == words
    assert offsets == [(0, 7), (7, 8), (8, 10), (10, 11), (11, 14)]
    assert word_offsets([]) == []


def test_restore_text_puts_back_dropped_whitespace():
    assert restore_text("中 国  人", ["中", "国", "人"]) == ["中", " ", "国", "  ", "人"]
    assert restore_text(" 中国 ", ["中国"]) == [" ", "中国", " "]
    with pytest.raises(ValueError, match=r"texts\[4\]: the segmenter returned '美'"):
        restore_text("中国人", ["中国", "美"], index=4)
    with pytest.raises(ValueError, match="dropped '人'"):
        restore_text("中国人", ["中国"])


def test_ltp_equals_ltp_pipeline(ltp_model_dir, law_lines, resume_sentences):
    from ltp import LTP

    lines = law_lines[:400] + resume_sentences[:100]
    expected = LTP(str(ltp_model_dir)).pipeline(lines, tasks=["cws"]).cws
    assert LtpSegmenter(ltp_model_dir, batch_size=64).cut(lines) == expected


def test_ltp_user_words(ltp_model_dir):
    text = "被告人犯非法吸收公众存款罪"
    seg = LtpSegmenter(ltp_model_dir, user_words=["非法吸收公众存款罪"])
    assert "非法吸收公众存款罪" in seg.cut([text])[0]
    via_dict = get_segmenter("ltp", user_dict=LEGAL_DICT, ltp_model=ltp_model_dir)
    assert "非法吸收公众存款罪" in via_dict.cut([text])[0]


def test_ltp_long_text_is_split_and_rejoined(ltp_model_dir, law_lines):
    long_text = "".join(law_lines[:40])
    seg = LtpSegmenter(ltp_model_dir, max_chars=200)
    words = seg.cut([long_text, "  ", "短句。"])
    assert "".join(words[0]) == long_text
    assert words[1] == ["  "]
    assert "".join(words[2]) == "短句。"
    pieces = split_long_text(long_text, 200)
    assert len(pieces) > 1 and all(len(p) <= 200 for p in pieces)


def test_ltp_bad_directories(tmp_path):
    with pytest.raises(FileNotFoundError, match="LTP model directory not found"):
        LtpSegmenter(tmp_path / "nope")
    with pytest.raises(ValueError, match=r"no config\.json"):
        LtpSegmenter(tmp_path)
    (tmp_path / "config.json").write_text('{"nerual": false, "tasks": {}}')
    with pytest.raises(ValueError, match="needs a 'cws' model"):
        LtpSegmenter(tmp_path)
    (tmp_path / "config.json").write_text('{"nerual": false, "tasks": {"cws": "cws_model.bin"}}')
    with pytest.raises(ValueError, match="does not exist"):
        LtpSegmenter(tmp_path)
    (tmp_path / "cws_model.bin").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="could not load an LTP model"):
        LtpSegmenter(tmp_path).cut(["你好"])
    (tmp_path / "config.json").write_text("not json")
    with pytest.raises(ValueError, match="not a valid LTP config"):
        LtpSegmenter(tmp_path)


def test_ltp_missing_extra_says_how_to_install(ltp_model_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "ltp", None)  # what Python does when the package is absent
    with pytest.raises(ImportError, match=r"pip install zhbert\[ltp\]"):
        LtpSegmenter(ltp_model_dir).cut(["你好"])


def test_get_segmenter():
    assert isinstance(get_segmenter("jieba", user_dict=LEGAL_DICT), JiebaSegmenter)
    assert isinstance(get_segmenter("char"), CharSegmenter)
    with pytest.raises(ValueError, match="unknown segmenter 'thulac'"):
        get_segmenter("thulac")
    with pytest.raises(UsageError, match="the ltp segmenter needs an LTP model directory") as info:
        get_segmenter("ltp")
    assert info.value.argument == "ltp_model"
