"""Classification readers on the real ChnSentiCorp and waimai CSVs, plus small TSV/JSONL files for each path."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.conftest import shared
from zhbert.data import ClsData, ClsExample, read_cls_file
from zhbert.errors import DataError


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_chnsenticorp():
    path = shared("chnsenticorp_htl", "ChnSentiCorp_htl_all.csv")
    data = read_cls_file(path)
    # 7,766 rows, 5,322 positive and 2,444 negative; the one empty review (line 6,376) is a negative row.
    assert data.skipped_empty == 1
    assert len(data.examples) == 7765
    assert Counter(e.label for e in data.examples) == {"1": 5322, "0": 2443}
    first = data.examples[0]
    assert first == ClsExample(
        '距离川沙公路较近,但是公交指示不对,如果是"蔡陆线"的话,会非常麻烦.建议用别的路线.房间较为简单.',
        None,
        "1",
        f"{path}:2",
    )
    sources = [e.source for e in data.examples]
    assert f"{path}:6376" not in sources and f"{path}:6377" in sources
    assert data.examples[-1].source == f"{path}:7767"


def test_waimai():
    data = read_cls_file(shared("waimai_10k", "waimai_10k.csv"), text_column="review")
    assert data.skipped_empty == 0
    assert Counter(e.label for e in data.examples) == {"1": 4000, "0": 7987}
    assert data.examples[0].text == "很快，好吃，味道足，量大"


def test_tsv_with_pair_and_quotes(tmp_path):
    path = write(
        tmp_path / "pairs.tsv",
        'sentence1\tsentence2\tlabel\n他说"好"\t他同意了\t1\n\n今天下雨\t \t0\r\n明天呢\t晴天\tneutral\n',
    )
    data = read_cls_file(path, text_column="sentence1", text_pair_column="sentence2")
    assert data == ClsData(
        [
            ClsExample('他说"好"', "他同意了", "1", f"{path}:2"),
            ClsExample("明天呢", "晴天", "neutral", f"{path}:5"),
        ],
        skipped_empty=1,
    )


def test_jsonl(tmp_path):
    rows = [
        {"text": "质量很好", "text_pair": "推荐", "label": "positive"},
        {"text": "", "text_pair": "x", "label": "negative"},
        {"text": "一般般", "text_pair": "不推荐", "label": 0},
    ]
    path = write(tmp_path / "d.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n")
    data = read_cls_file(path, text_pair_column="text_pair")
    assert data.skipped_empty == 1
    assert [(e.text, e.text_pair, e.label, e.source) for e in data.examples] == [
        ("质量很好", "推荐", "positive", f"{path}:1"),
        ("一般般", "不推荐", "0", f"{path}:3"),
    ]


def test_jsonl_errors(tmp_path):
    path = write(tmp_path / "a.jsonl", '{"text": "好"}\n{"text": "坏"}\n')
    with pytest.raises(DataError, match=r"a\.jsonl:1: no column 'label' \(columns: text\)"):
        read_cls_file(path)
    path = write(tmp_path / "l.jsonl", '{"text": "好"}\n["好", 1]\n')
    with pytest.raises(DataError, match=r"l\.jsonl:2: a JSON list, expected an object per line"):
        read_cls_file(path, require_label=False)
    path = write(tmp_path / "b.jsonl", '{"text": "好", "label": 1}\n{"text": "坏"}\n{"text": "坏", "label": [1]}\n')
    with pytest.raises(DataError, match=r"b\.jsonl:2: no label in column 'label'"):
        read_cls_file(path)
    path = write(tmp_path / "c.jsonl", '{"text": "好", "label": 1}\n{"text": "坏", "label": [1]}\n')
    with pytest.raises(DataError, match=r"c\.jsonl:2: label 'label' is list; expected text, an integer or an object"):
        read_cls_file(path)
    path = write(tmp_path / "d.jsonl", '{"text": "好", "label": 1}\n{"label": 0}\n')
    with pytest.raises(DataError, match=r"d\.jsonl:2: no field 'text' \(fields: label\)"):
        read_cls_file(path)


def test_jsonl_soft_labels(tmp_path):
    rows = [
        {"text": "还行", "label": {"0": 0.25, "1": 0.75}},
        {"text": "很差", "label": "0"},
        {"text": "一般", "label": {"neutral": 0.3333, "1": 0.3333, "0": 0.3334}},
    ]
    path = write(tmp_path / "s.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    examples = read_cls_file(path).examples
    assert [(e.label, e.label_probs) for e in examples[:2]] == [("1", (("0", 0.25), ("1", 0.75))), ("0", None)]
    assert examples[2].label == "0" and sum(p for _, p in examples[2].label_probs) == pytest.approx(1, abs=1e-12)


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ({}, "soft label 'label' is an empty object"),
        ({"0": 0.5, "1": 0.6}, "soft label 'label' sums to 1.1, not 1"),
        ({"0": -0.5, "1": 1.5}, r"soft label 'label' has '0': -0.5; expected label: probability in \[0, 1\]"),
        ({"0": "0.5", "1": 0.5}, r"soft label 'label' has '0': '0.5'"),
        ({" ": 1.0}, r"soft label 'label' has ' ': 1.0"),
    ],
)
def test_jsonl_soft_label_errors(label, message, tmp_path):
    path = write(tmp_path / "s.jsonl", '{"text": "好", "label": 1}\n' + json.dumps({"text": "坏", "label": label}))
    with pytest.raises(DataError, match=r"s\.jsonl:2: " + message):
        read_cls_file(path)


def test_csv_line_numbers_follow_multiline_records(tmp_path):
    path = write(tmp_path / "m.csv", 'label,review\n1,"第一行\n第二行"\n0,"坏,很坏"\n,没有标签\n')
    with pytest.raises(DataError, match=r"m\.csv:5: no label in column 'label'"):
        read_cls_file(path)
    data = read_cls_file(path, require_label=False)
    assert [(e.text, e.label, e.source) for e in data.examples] == [
        ("第一行\n第二行", "1", f"{path}:2"),
        ("坏,很坏", "0", f"{path}:4"),
        ("没有标签", "", f"{path}:5"),
    ]


def test_prediction_without_label_column(tmp_path):
    path = write(tmp_path / "p.csv", "id,content\n1,这家店不错\n")
    data = read_cls_file(path, require_label=False)
    assert data.examples == [ClsExample("这家店不错", None, "", f"{path}:2")]


def test_missing_columns(tmp_path):
    path = write(tmp_path / "x.csv", "a,b\n1,2\n")
    with pytest.raises(DataError, match=r"x\.csv:1: no text column: none of text, sentence, review, content"):
        read_cls_file(path)
    with pytest.raises(DataError, match=r"^.*x\.csv:1: no column 'label' \(columns: a, b\)$"):
        read_cls_file(path, text_column="a")
    with pytest.raises(DataError, match=r"x\.csv:1: no column 'x' \(columns: a, b\)"):
        read_cls_file(path, text_column="a", label_column="b", text_pair_column="x")


def test_malformed_rows(tmp_path):
    path = write(tmp_path / "f.csv", "label,text\n1,好\n0,坏,多了一列\n")
    with pytest.raises(DataError, match=r"f\.csv:3: 3 fields, but the header has 2 \(label, text\)"):
        read_cls_file(path)
    with pytest.raises(DataError, match=r"f\.txt: unknown suffix '\.txt'"):
        read_cls_file(write(tmp_path / "f.txt", "label,text\n"))
    with pytest.raises(DataError, match=r"h\.csv: no rows"):
        read_cls_file(write(tmp_path / "h.csv", "label,text\n"))


def test_encodings(tmp_path):
    path = write(tmp_path / "gbk.csv", "label,text\n1,很好\n", encoding="gbk")
    with pytest.raises(DataError, match=r"gbk\.csv:2: not UTF-8 text; it decodes as GBK/GB18030"):
        read_cls_file(path)
    bom = write(tmp_path / "bom.csv", "\ufefflabel,text\r\n1,很好\r\n")
    assert read_cls_file(bom).examples == [ClsExample("很好", None, "1", f"{bom}:2")]
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        read_cls_file(tmp_path / "nope.csv")
