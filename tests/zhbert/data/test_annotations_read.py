"""Annotation tools' exports read from fixtures in each tool's shape (tests/data/annotations/README.md): the format
told from the content, offsets checked and repaired, refusals and overlaps with ``file:line``, the annotator chosen,
and the flat reading a tagger gets through ``read_ner_data``."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import TEST_DATA
from zhbert.data import NerExample, flatten, read_annotations, read_ner_data, read_ner_file, write_label_studio
from zhbert.data.annotations import write_doccano
from zhbert.errors import DataError

HERE = TEST_DATA / "annotations"
S1 = "张小明在北京大学读书。"


def read(name: str, **kwargs):
    return read_annotations(HERE / name, **kwargs)


def pairs(data):
    return [(e.text, e.spans) for e in data.examples]


def test_doccano_both_shapes_and_the_data_key():
    label = read("doccano_label.jsonl")
    assert (label.report.format, label.report.detected, label.report.texts, label.report.spans) == (
        "doccano",
        True,
        3,
        5,
    )
    assert pairs(label)[:2] == [
        (S1, ((0, 3, "PER"), (4, 8, "ORG"))),
        ("李雷和韩梅梅去了上海。", ((0, 2, "PER"), (3, 6, "PER"), (8, 10, "LOC"))),
    ]
    assert label.examples[2].spans == () and label.examples[1].source == f"{HERE / 'doccano_label.jsonl'}:2"
    entities = read("doccano_entities.jsonl")
    assert pairs(entities) == [
        (S1, ((0, 3, "PER"), (4, 6, "LOC"), (4, 8, "ORG"))),  # nested entities are kept
        ("第一行\r\n马云创立了阿里巴巴。", ((5, 7, "PER"),)),  # CRLF kept; offsets count its two characters
    ]
    assert [str(o) for o in entities.report.overlaps] == [
        f"{HERE / 'doccano_entities.jsonl'}:1: LOC '北京' [4, 6) and ORG '北京大学' [4, 8)"
    ]
    assert pairs(read("doccano_data.jsonl")) == [("李雷和韩梅梅去了上海。", ((0, 2, "PER"),))]


def test_doccano_offsets_that_only_fit_utf16_units_are_read_so_and_said():
    auto = read("doccano_utf16.jsonl")
    assert auto.report.unit == "utf16" and auto.report.repaired == 2
    assert pairs(auto) == [
        ("😀今天华为发布了新手机，余承东说很好。", ((3, 5, "ORG"),)),
        ("吃早茶😀😀，见张小明", ((7, 10, "PER"),)),
    ]
    assert auto.report.notes == (
        f"offsets read as UTF-16 units: {HERE / 'doccano_utf16.jsonl'}:2: PER [9, 12) ends past its text in code "
        "points (10 characters), and every offset of the file fits UTF-16 units",
    )
    assert pairs(read("doccano_utf16.jsonl", offsets="utf16")) == pairs(auto)
    with pytest.raises(DataError, match=r"doccano_utf16\.jsonl:2: PER \[9, 12\) is past the end of its text \(10 "):
        read("doccano_utf16.jsonl", offsets="codepoints")
    lenient = read("doccano_utf16.jsonl", offsets="codepoints", strict=False)
    assert lenient.examples[0].spans == ((4, 6, "ORG"),) and len(lenient.report.refused) == 1
    assert "their offsets were read as code points: if the tool counted UTF-16 units" in lenient.report.notes[0]


def test_label_studio_export_repairs_utf16_offsets_after_an_emoji():
    data = read("label_studio.json")
    assert data.report.format == "label-studio" and data.report.repaired == 2 and not data.report.refused
    # The cancelled annotation of task 2 and the unlabelled task 3 are not read; relations are not entities.
    assert pairs(data) == [
        (S1, ((0, 3, "PER"), (4, 8, "ORG"))),
        ("😀今天华为发布了新手机，余承东说很好。", ((3, 5, "ORG"), (12, 15, "PER"))),
    ]
    assert data.examples[1].source == f"{HERE / 'label_studio.json'}:140"
    assert data.report.notes == (
        "annotator='first': 1 texts had several annotations; one of each was read",
        "1 label-studio tasks had no annotation and were left out",
        f"1 texts' offsets counted UTF-16 units, and were read so (the first at {HERE / 'label_studio.json'}:140)",
    )
    assert "2 repaired, 0 refused" in data.report.summary()


def test_a_span_that_cannot_be_matched_is_refused_with_its_line():
    with pytest.raises(
        DataError, match=r"misaligned\.json:2: ORG '北京大学' \[5, 8\) does not match the text there, '京大学'$"
    ):
        read("label_studio_misaligned.json")
    data = read("label_studio_misaligned.json", strict=False)
    assert data.examples[0].spans == ((0, 3, "PER"),)
    assert [r.where for r in data.report.refused] == [f"{HERE / 'label_studio_misaligned.json'}:2"]


def test_annotator_choice_first_latest_or_named():
    assert read("label_studio.json", annotator="latest").examples[0].spans == (
        (0, 3, "PER"),
        (4, 6, "LOC"),
        (4, 8, "ORG"),
    )
    named = read("label_studio.json", annotator="1")
    assert pairs(named) == [(S1, ((0, 3, "PER"), (4, 8, "ORG")))]  # annotator 1 cancelled task 2
    assert "1 texts have no annotation by '1' and were left out" in named.report.notes
    minimal = read("label_studio_min.json")
    assert minimal.report.format == "label-studio-min"
    # Two annotators of task 1 make one example, not two.
    assert [e.text for e in minimal.examples] == [S1, "李雷和韩梅梅去了上海。", "今天天气不错。"]
    assert minimal.examples[0].spans == ((0, 3, "PER"), (4, 8, "ORG"))
    assert read("label_studio_min.json", annotator="latest").examples[0].spans[1] == (4, 6, "LOC")
    bob = read("label_studio_min.json", annotator="bob@example.com")
    assert [e.text for e in bob.examples] == [S1, "李雷和韩梅梅去了上海。"]
    assert bob.examples[0].source.endswith("label_studio_min.json:29")


def test_cmeee_inclusive_ends_and_nested_entities():
    data = read("cmeee.json")
    assert pairs(data) == [
        ("患者出现急性胰腺炎，予以奥美拉唑治疗。", ((4, 9, "dis"), (6, 8, "bod"), (12, 16, "dru"))),
        ("小儿咳嗽三天。", ((2, 4, "sym"),)),
    ]
    assert len(data.report.overlaps) == 1 and data.examples[1].source.endswith("cmeee.json:25")


def test_brat_refuses_discontinuous_spans_with_their_line_and_skips_other_lines():
    data = read("brat")
    doc1 = HERE / "brat" / "doc1.ann"
    assert [str(r) for r in data.report.refused] == [
        f"{doc1}:4: T4 PER '李雷 韩梅梅' is discontinuous (17 19;20 23); not read"
    ]
    assert data.report.notes == ("3 lines of other kinds (relations, events, attributes, notes) were skipped",)
    assert data.examples[0].spans == ((0, 3, "PER"), (4, 6, "LOC"), (4, 8, "ORG"), (20, 23, "PER"))
    assert data.examples[1].source == f"{HERE / 'brat' / 'doc2.txt'}:1"
    assert (
        pairs(read("brat/doc2.txt")) == pairs(read("brat/doc2.ann")) == [("李雷和韩梅梅去了上海。", ((8, 10, "LOC"),))]
    )


def test_errors_name_the_shape_found_and_the_shapes_accepted(tmp_path):
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps([{"sentence": "张三", "tags": ["B", "E"]}]), encoding="utf-8")
    with pytest.raises(
        DataError,
        match=r"odd\.json:1: an object with keys 'sentence', 'tags' is none of the shapes "
        r"accepted: doccano JSONL .*Label Studio JSON .*CMeEE",
    ):
        read_annotations(odd)
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(
        '{"text": "张三", "label": [[0, 2, "PER"]]}\n{"text": "李四", "label": {"PER": {"李四": [[0, 1]]}}}\n'
    )
    with pytest.raises(
        DataError,
        match=r"mixed\.jsonl:2: this record is CLUENER JSON lines .* but the file is read as "
        r"doccano JSONL",
    ):
        read_annotations(mixed)
    with pytest.raises(
        DataError, match=r"doccano_label\.jsonl:1: this record is doccano JSONL .* but the file is read as CMeEE"
    ):
        read_annotations(HERE / "doccano_label.jsonl", format="cmeee")
    with pytest.raises(ValueError, match="format must be 'auto' or one of doccano"):
        read_annotations(odd, format="conll")
    with pytest.raises(DataError, match="holds tags, one character per line"):
        read_annotations(TEST_DATA / "resume_dev.char.bmes")


def test_overlap_policy_for_a_flat_tagger():
    examples = read("doccano_entities.jsonl").examples
    with pytest.raises(
        DataError,
        match=r"doccano_entities\.jsonl:1: LOC '北京' \[4, 6\) and ORG '北京大学' \[4, 8\) "
        r"overlap; a tagger cannot hold nested entities \(policy='longest' keeps the longer one\)",
    ):
        flatten(examples, "refuse")
    flat, dropped = flatten(examples, "longest")
    assert flat[0].spans == ((0, 3, "PER"), (4, 8, "ORG")) and flat[1] == examples[1]
    assert [(d.first, d.second) for d in dropped] == [((4, 6, "LOC"), (4, 8, "ORG"))]
    with pytest.raises(ValueError, match="policy must be one of refuse, longest"):
        flatten(examples, "first")


def test_read_ner_data_takes_every_export_flat(caplog):
    with pytest.raises(DataError, match=r"overlap; a tagger cannot hold nested entities \(fix_tags keeps") as info:
        read_ner_data(HERE / "doccano_entities.jsonl")
    assert info.value.argument == "fix_tags"
    data = read_ner_data(HERE / "doccano_entities.jsonl", fix_tags=True)
    assert data.scheme == "DOCCANO" and data.examples[0].spans == ((0, 3, "PER"), (4, 8, "ORG"))
    assert len(data.dropped) == 1 and data.report is not None and len(data.report.overlaps) == 1
    assert "1 overlapping entities left out, the longer kept" in caplog.messages[-1]
    examples, scheme = read_ner_file(HERE / "label_studio.json")  # a JSON list, not "not valid JSON"
    assert scheme == "LABEL-STUDIO" and len(examples) == 2 and examples[1].spans[0] == (3, 5, "ORG")
    assert read_ner_file(HERE / "brat", fix_tags=True)[0][0].spans == ((0, 3, "PER"), (4, 8, "ORG"), (20, 23, "PER"))
    assert read_ner_data(HERE / "doccano_utf16.jsonl", offsets="utf16").examples[1].spans == ((7, 10, "PER"),)
    with pytest.raises(DataError, match=r"an annotation file \(doccano\) holds spans, not BMES tags"):
        read_ner_file(HERE / "doccano_label.jsonl", scheme="BMES")


def test_pre_annotations_read_back_to_the_same_spans(tmp_path):
    examples = [NerExample(S1, ((0, 3, "PER"), (4, 8, "ORG")), "x:1"), NerExample("😀华为", ((1, 3, "ORG"),), "x:2")]
    path = tmp_path / "tasks.json"
    write_label_studio(path, examples, model_version="zhbert-ner-1", scores=[[0.9, 0.6], [0.8]])
    tasks = json.loads(path.read_text(encoding="utf-8"))
    prediction = tasks[0]["predictions"][0]
    assert tasks[0]["data"] == {"text": S1} and "annotations" not in tasks[0]
    assert (prediction["model_version"], prediction["score"]) == ("zhbert-ner-1", 0.6)
    assert prediction["result"][1] == {
        "id": "r1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 4, "end": 8, "text": "北京大学", "labels": ["ORG"]},
        "score": 0.6,
    }
    back = read_annotations(path)
    assert pairs(back) == [(e.text, e.spans) for e in examples]
    assert back.report.notes == ("2 label-studio tasks were read from their predictions (no annotation)",)
    write_doccano(tmp_path / "pre.jsonl", examples)
    first = json.loads((tmp_path / "pre.jsonl").read_text(encoding="utf-8").split("\n")[0])
    assert first == {"text": S1, "label": [[0, 3, "PER"], [4, 8, "ORG"]]}
    assert pairs(read_annotations(tmp_path / "pre.jsonl")) == [(e.text, e.spans) for e in examples]


def test_a_brat_txt_without_its_ann_is_named(tmp_path):
    shutil.copy(HERE / "brat" / "doc2.ann", tmp_path / "d.ann")
    with pytest.raises(FileNotFoundError, match=r"d\.txt: no such file; BRAT keeps each document"):
        read_annotations(tmp_path / "d.ann")
