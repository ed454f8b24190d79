"""NER readers on the real Resume, MSRA and CLUENER files, plus small files written here for each error path."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import TEST_DATA, shared
from zhbert.data import NerExample, read_ner_data, read_ner_file, write_conll_bioes
from zhbert.errors import DataError
from zhbert.finetune.ner import NerTask
from zhbert.tagging import TagError

WEIBO = TEST_DATA / "weibo_shape.train"  # Weibo NER's shape: 科0 技1, \ufffd\ufffd0, 20 01 12 33 (2013)
WEIBO_CHARS = TEST_DATA / "weibo_shape_chars.train"  # the same file without the position digits


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_resume_train_counts():
    path = shared("resume_ner", "train.char.bmes")
    # Two sentence breaks in the released file cut an ORG in half (…俄罗斯圣。 / 彼得堡…); strict reading stops there.
    with pytest.raises(TagError, match=r"train\.char\.bmes:62390: the sentence ends after M-ORG") as info:
        read_ner_file(path)
    assert info.value.where == f"{path}:62390"
    examples, scheme = read_ner_file(path, fix_tags=True)
    assert scheme == "BMES"
    assert len(examples) == 3821
    assert sum(len(e.text) for e in examples) == 124_099
    # The README's 13,438 entities are B- + S- tags; repairing adds one for each of the 2 halves that start with M-.
    types = Counter(kind for e in examples for _, _, kind in e.spans)
    assert sum(types.values()) == 13_438 + 2
    assert types["TITLE"] == 6308 and types["ORG"] == 4611 + 2 and types["LOC"] == 47
    first = examples[0]
    assert first.text.startswith("高勇：男，中国国籍")
    assert first.spans[:2] == ((0, 2, "NAME"), (5, 9, "CONT"))
    assert first.source == f"{path}:1"
    assert examples[1].source == f"{path}:{len(first.text) + 2}"


def test_resume_dev_is_clean():
    examples, scheme = read_ner_file(shared("resume_ner", "dev.char.bmes"))
    assert (scheme, len(examples), sum(len(e.spans) for e in examples)) == ("BMES", 463, 1497)


def test_msra_first_sentences():
    path = shared("msra_ner", "train.char.bio")
    examples, scheme = read_ner_file(path, limit=2000)
    assert scheme == "IOB2"
    assert len(examples) == 2000
    assert examples[0].text.startswith("当希望工程救助的百万儿童成长起来")
    for example in examples:
        for start, end, kind in example.spans:
            assert kind in {"PER", "LOC", "ORG"} and 0 <= start < end <= len(example.text)
    assert read_ner_file(path, scheme="bio", limit=5)[0] == examples[:5]
    with pytest.raises(DataError, match=r"not a tag of the BMES scheme; the file looks like IOB2"):
        read_ner_file(path, scheme="BMES", limit=5)


def test_cluener_dev():
    path = shared("cluener2020", "dev.json")
    examples, scheme = read_ner_file(path)
    assert scheme == "CLUENER"
    assert len(examples) == 1343
    types = Counter(kind for e in examples for _, _, kind in e.spans)
    assert types["name"] == 465 and types["address"] == 373 and types["scene"] == 209
    first = examples[0]
    assert first.source == f"{path}:1"
    assert first.text[0:3] == "彭小军" and (0, 3, "name") in first.spans
    assert first.text[15:17] == "台湾" and (15, 17, "address") in first.spans
    for example in examples:
        assert list(example.spans) == sorted(example.spans)


def test_cluener_test_set_has_no_spans():
    examples, _ = read_ner_file(shared("cluener2020", "test.json"), limit=50)
    assert len(examples) == 50 and all(not e.spans for e in examples)


def test_cluener_nested_spans():
    path = shared("cluener2020", "train.json")
    with pytest.raises(DataError, match=r"train\.json:1507: book '《招商银行.*' \[15, 34\] and company '招商银行'"):
        read_ner_file(path)
    examples, _ = read_ner_file(path, fix_tags=True)
    assert len(examples) == 10748
    assert examples[1506].spans == ((15, 35, "book"),)


def test_cluener_errors(tmp_path):
    bad = write(tmp_path / "bad.jsonl", '{"text": "张三来了", "label": {"name": {"张三": [[0, 1]]}}}\n\n[1]\n')
    with pytest.raises(DataError, match=r"bad\.jsonl:3: expected an object with a 'text' string"):
        read_ner_file(bad)
    off = write(tmp_path / "off.json", '{"text": "张三来了", "label": {"name": {"张三": [[1, 2]]}}}\n')
    with pytest.raises(DataError, match=r"off\.json:1: name '张三' at \[1, 2\] \(end inclusive\) does not match"):
        read_ner_file(off)
    with pytest.raises(DataError, match="holds spans, not BMES tags"):
        read_ner_file(off, scheme="BMES")


def test_weibo_position_digits(tmp_path):
    # Weibo NER writes each character's position after it; a digit character keeps its own column (10 = "1", 0).
    text = "科0\tB-PER.NAM\n技1\tI-PER.NAM\n10\tO\n\n好0\tO\n"
    examples, scheme = read_ner_file(write(tmp_path / "weibo.train", text))
    assert scheme == "IOB2"
    assert [(e.text, e.spans) for e in examples] == [("科技1", ((0, 2, "PER.NAM"),)), ("好", ())]
    # One line without a digit: the first column is taken as written.
    examples, _ = read_ner_file(write(tmp_path / "plain.txt", text + "哈\tO\n"))
    assert examples[0].text == "科0技110"


def test_weibo_shaped_file_reads_as_its_character_version(caplog):
    caplog.set_level("INFO", logger="zhbert.data.ner")
    weibo, chars = read_ner_data(WEIBO), read_ner_data(WEIBO_CHARS)
    assert weibo.position_digits and not chars.position_digits
    assert [(e.text, e.spans) for e in weibo.examples] == [(e.text, e.spans) for e in chars.examples]
    texts = [e.text for e in weibo.examples]
    assert texts[1].startswith("2013年10月21日，张小明在广州吃早茶\ufffd\ufffd\ufffd\ufffd！")
    assert "http://t.cn/zOx…" in texts[2] and texts[3].startswith("哈哈\ufffd\ufffd10分钟后见@李雷")
    assert weibo.examples[1].spans == ((12, 15, "PER.NAM"), (16, 18, "GPE.NAM"))
    assert weibo.note == (
        f"{WEIBO}: read as Weibo-style tokens, each character followed by its position in its word (科0 技1); "
        "the 89 position digits are left out of the text"
    )
    assert chars.note == "" and caplog.messages == [weibo.note]


def test_weibo_file_with_tokens_that_do_not_fit_says_how_many_and_where(tmp_path, caplog):
    lines = WEIBO.read_text(encoding="utf-8").split("\n")
    lines[3:5] = ["讯\tO", "讯5\tO"]  # no digit; a position that neither continues its word nor starts one
    mixed = write(tmp_path / "mixed.train", "\n".join(lines))
    data = read_ner_data(mixed)
    assert data.position_digits
    assert data.examples[0].text.startswith("科技全讯讯资讯智能")  # the stray digit is still left out
    assert data.note.endswith(f"2 of 89 tokens did not fit that format (the first at {mixed}:4: '讯')")
    assert caplog.records[-1].levelname == "WARNING" and caplog.messages[-1] == data.note


def test_a_run_reads_every_file_as_its_first_was(caplog):
    task = NerTask()
    assert [e.text for e in task.read(WEIBO)] == [e.text for e in task.read(WEIBO_CHARS)]
    assert task.position_digits is True
    assert caplog.messages[-1].startswith(f"{WEIBO_CHARS}: read as Weibo-style tokens")
    assert "89 of 89 tokens did not fit" in caplog.messages[-1]  # said, though the texts come out the same
    plain = NerTask()
    plain.read(WEIBO_CHARS)
    examples = plain.read(WEIBO)
    assert plain.position_digits is False and examples[0].text.startswith("科0技1全0方1位2")
    assert caplog.messages[-1] == (
        f"{WEIBO}: its tokens look like Weibo-style position digits (科0 技1), but are read as plain text, as asked"
    )


def test_bom_crlf_and_multi_char_tokens(tmp_path):
    path = write(tmp_path / "a.txt", "\ufeff华 B-ORG\r\n为 E-ORG\r\n2020 O\r\n  O\r\n年 S-X\r\n")
    examples, scheme = read_ner_file(path)
    assert scheme == "BIOES"
    assert examples == [NerExample("华为2020 年", ((0, 2, "ORG"), (7, 8, "X")), f"{path}:1")]


def test_not_utf8(tmp_path):
    path = write(tmp_path / "gbk.txt", "中 O\n国 O\n\n人 B-PER\n", encoding="gbk")
    with pytest.raises(DataError, match=r"gbk\.txt:1: not UTF-8 text; it decodes as GBK/GB18030: convert it with"):
        read_ner_file(path)
    binary = tmp_path / "latin.txt"
    binary.write_bytes("中 O\n".encode() + b"\xff\xfe\xff O\n")
    with pytest.raises(DataError, match=r"latin\.txt:2: not UTF-8 text$"):
        read_ner_file(binary)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothere\.txt"):
        read_ner_file(tmp_path / "nothere.txt")
    with pytest.raises(DataError, match=r"empty\.txt: no sentences"):
        read_ner_file(write(tmp_path / "empty.txt", "\n\n  \n"))
    with pytest.raises(DataError, match=r"e\.json: no sentences"):
        read_ner_file(write(tmp_path / "e.json", ""))


def test_missing_tag_column(tmp_path):
    path = write(tmp_path / "t.txt", "中 O\n国 O\n\n人\n")
    with pytest.raises(DataError, match=r"t\.txt:4: no tag column in '人'"):
        read_ner_file(path)


def test_invalid_sequence_names_the_line(tmp_path):
    path = write(tmp_path / "train.txt", "我 O\n\n在 O\n北 O\n京 I-LOC\n")
    with pytest.raises(TagError, match=r"train\.txt:5: I-LOC follows O \(no B-LOC before it\)$") as info:
        read_ner_file(path)
    assert info.value.position == 2 and info.value.argument == "fix_tags"
    examples, _ = read_ner_file(path, fix_tags=True)
    assert examples[1] == NerExample("在北京", ((2, 3, "LOC"),), f"{path}:3")
    bad = write(tmp_path / "bad.txt", "我 O\n在 X-LOC\n")
    with pytest.raises(TagError, match=r"bad\.txt:2: 'X-LOC' is not a tag"):
        read_ner_file(bad, fix_tags=True)


def test_scheme_contradicting_the_data(tmp_path):
    path = write(tmp_path / "m.txt", "中 B-ORG\n国 M-ORG\n银 E-ORG\n")
    with pytest.raises(DataError, match=r"m\.txt:2: M-ORG is not a tag of the IOB2 scheme; the file looks like BMES"):
        read_ner_file(path, scheme="IOB2")
    with pytest.raises(ValueError, match="unknown tag scheme"):
        read_ner_file(path, scheme="BILOU")
    with pytest.raises(DataError, match="needs a JSON lines file"):
        read_ner_file(path, scheme="cluener")
    assert read_ner_file(path, scheme="bmes")[1] == "BMES"


def test_write_read_round_trip(tmp_path):
    examples, _ = read_ner_file(shared("resume_ner", "dev.char.bmes"))
    clue, _ = read_ner_file(shared("cluener2020", "dev.json"), limit=200)
    path = tmp_path / "out.bioes"
    write_conll_bioes(path, examples + clue)
    back, scheme = read_ner_file(path)
    assert scheme == "BIOES"
    assert [(e.text, e.spans) for e in back] == [(e.text, e.spans) for e in examples + clue]
    assert path.read_text(encoding="utf-8").startswith("吴 B-NAME\n重 I-NAME\n阳 E-NAME\n， O\n")
    assert [p.name for p in tmp_path.iterdir()] == ["out.bioes"]


def test_write_refuses_what_it_cannot_hold(tmp_path):
    path = tmp_path / "out.txt"
    with pytest.raises(ValueError, match=r"x:3: spans .* overlap"):
        write_conll_bioes(path, [NerExample("张三李四", ((0, 2, "A"), (1, 3, "B")), "x:3")])
    with pytest.raises(ValueError, match="line breaks"):
        write_conll_bioes(path, [NerExample("张三\n李四", (), "x:4")])
    assert list(tmp_path.iterdir()) == []
