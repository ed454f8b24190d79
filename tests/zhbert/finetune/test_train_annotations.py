"""Annotation exports through the real commands: each shape trains a tiny tagger with ``zhbert train ner`` and is
scored by ``zhbert evaluate``; offsets repaired or refused with ``file:line``; word-token CoNLL and ``-DOCSTART-``;
every bad tag counted and ``evaluate --fix-tags``; a non-empty output directory refused; pre-annotations from
``zhbert predict`` read back to the same spans."""

from __future__ import annotations

import json
import logging
import re

import pytest

from tests.conftest import TEST_DATA
from zhbert.commands import main
from zhbert.data import read_annotations

HERE = TEST_DATA / "annotations"


def quick(output_dir, *extra):
    return [
        "--output_dir", str(output_dir), "--per_device_train_batch_size", "8", "--learning_rate", "1e-3",
        "--disable_tqdm", "true", "--seed", "0", "--max_steps", "2", *extra,
    ]  # fmt: skip


def train(tiny_mlm_dir, train_file, out, *extra):
    return main(["train", "ner", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", str(train_file),
                 *quick(out), *extra])  # fmt: skip


SHAPES = [
    ("doccano_label.jsonl", ()),
    ("doccano_entities.jsonl", ("--overlaps", "longest")),
    ("doccano_data.jsonl", ()),
    ("label_studio.json", ()),
    ("label_studio_min.json", ()),
    ("cmeee.json", ("--overlaps", "longest")),
    ("../cluener_dev_sample.json", ()),
    ("brat", ("--overlaps", "longest")),
    ("../resume_dev.char.bmes", ()),
]


@pytest.mark.parametrize(("name", "extra"), SHAPES, ids=[name.split("/")[-1] for name, _ in SHAPES])
def test_each_shape_trains_and_is_scored(name, extra, tiny_mlm_dir, tmp_path, capsys, caplog):
    data = HERE / name
    with caplog.at_level(logging.INFO, logger="zhbert.finetune"):
        assert train(tiny_mlm_dir, data, tmp_path / "m", *extra) == 0
    said = [r.getMessage() for r in caplog.records if r.name == "zhbert.finetune" and f"{data}: " in r.getMessage()]
    assert len(said) == 1 and re.search(r", [\d,]+ texts, [\d,]+ entities", said[0]), caplog.messages
    if "resume" not in name:
        assert " repaired, " in said[0] and " refused, " in said[0]
    capsys.readouterr()
    argv = ["evaluate", "--model", str(tmp_path / "m"), "--test_file", str(data), *extra]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1].startswith("test_f1 ")
    assert re.search(r"zhbert evaluate: (bfloat16|float32) on cpu", captured.err)


def test_label_studio_utf16_offsets_repaired_and_said(tiny_mlm_dir, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="zhbert"):
        assert train(tiny_mlm_dir, HERE / "label_studio.json", tmp_path / "m") == 0
    said = "\n".join(caplog.messages)
    assert "2 repaired" in said and "offsets counted UTF-16 units, and were read so" in said


def test_unmatched_spans_refused_with_the_line_and_no_output_left(tiny_mlm_dir, tmp_path, capsys):
    out = tmp_path / "m"
    assert train(tiny_mlm_dir, HERE / "label_studio_misaligned.json", out) == 2
    err = capsys.readouterr().err
    assert re.search(r"label_studio_misaligned\.json:\d+: ORG '北京大学' \[5, 8\) does not match", err), err
    assert not out.exists()


def test_doccano_utf16_only_offsets_said_and_read_exactly(tiny_mlm_dir, tmp_path, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="zhbert"):
        assert train(tiny_mlm_dir, HERE / "doccano_utf16.jsonl", tmp_path / "auto") == 0
    assert "every offset of the file fits UTF-16 units" in "\n".join(caplog.messages)
    assert train(tiny_mlm_dir, HERE / "doccano_utf16.jsonl", tmp_path / "u", "--offsets", "utf16") == 0
    examples = read_annotations(HERE / "doccano_utf16.jsonl", offsets="utf16").examples
    assert [[e.text[s:t] for s, t, _ in e.spans] for e in examples] == [["华为"], ["张小明"]]
    capsys.readouterr()
    assert main(["evaluate", "--model", str(tmp_path / "u"), "--test_file", str(HERE / "doccano_utf16.jsonl"),
                 "--offsets", "codepoints"]) == 2  # fmt: skip
    assert "doccano_utf16.jsonl:2: PER [9, 12) is past the end of its text" in capsys.readouterr().err


def test_word_token_conll_and_docstart(tiny_mlm_dir, tmp_path, caplog):
    conll = tmp_path / "words.conll"
    conll.write_text(
        "-DOCSTART- -X- O O\n\n张小明 B-PER\n在 O\n北京大学 B-ORG\n读书 O\n\n-DOCSTART- -X- O O\n\n"
        "李雷 B-PER\n去 O\n上海 B-LOC\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.INFO, logger="zhbert"):
        assert train(tiny_mlm_dir, conll, tmp_path / "m") == 0
    said = "\n".join(caplog.messages)
    assert "read as word tokens" in said and "2 -DOCSTART- lines read as document breaks" in said
    assert f"{conll}: IOB2, 2 texts, 4 entities" in said
    labels = json.loads((tmp_path / "m" / "config.json").read_text())["label2id"]
    assert {"B-PER", "E-PER", "B-ORG", "E-ORG", "B-LOC", "E-LOC"} <= set(labels) and "DOCSTART" not in str(labels)


def test_bad_tags_all_counted_and_evaluate_fix_tags(tiny_mlm_dir, tmp_path, capsys, caplog):
    bad = tmp_path / "test.txt"
    bad.write_text(
        "张 B-PER\n三 I-PER\n\n在 O\n京 I-LOC\n\n李 I-PER\n四 I-PER\n\n上 B-LOC\n海 I-LOC\n\n去 O\n广 I-LOC\n",
        encoding="utf-8",
    )
    out = tmp_path / "m"
    assert train(tiny_mlm_dir, bad, out) == 2
    err = capsys.readouterr().err
    assert f"{bad}:5: I-LOC follows O (no B-LOC before it); 3 invalid tag sequences in all" in err
    assert f"(also at {bad}:7, {bad}:14)" in err and "(see --fix_tags)" in err and not out.exists()
    with caplog.at_level(logging.INFO, logger="zhbert"):
        assert train(tiny_mlm_dir, bad, out, "--fix-tags") == 0
    assert "3 invalid tag sequences repaired" in "\n".join(caplog.messages)
    capsys.readouterr()
    assert main(["evaluate", "--model", str(out), "--test_file", str(bad)]) == 2
    assert "3 invalid tag sequences in all" in capsys.readouterr().err
    assert main(["evaluate", "--model", str(out), "--test_file", str(bad), "--fix-tags"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("test_f1 ")


def test_non_empty_output_directory_refused_before_any_model_loads(tiny_mlm_dir, tmp_path, capsys):
    out = tmp_path / "m"
    data = HERE / "doccano_label.jsonl"
    assert train(tiny_mlm_dir, data, out) == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    capsys.readouterr()
    # A model path that does not exist: the refusal comes first, before anything is read or loaded.
    argv = ["train", "ner", "--model_name_or_path", str(tmp_path / "nowhere"), "--train_file", str(data), *quick(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "already holds files" in err and "(see --overwrite_output_dir)" in err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    (out / "checkpoint-999").mkdir()  # an older run's checkpoint
    assert train(tiny_mlm_dir, data, out, "--overwrite_output_dir", "true") == 0
    assert (out / "config.json").stat().st_mtime_ns > before[out / "config.json"]
    assert not (out / "checkpoint-999").exists()


def test_predict_pre_annotations_read_back_to_the_same_spans(tiny_tagger_dir, tmp_path, capsys):
    texts = tmp_path / "in.txt"
    texts.write_text("高勇，男，中国国籍。\n😀张小明在北京大学读书。\n", encoding="utf-8")
    plain = tmp_path / "p.jsonl"
    assert main(["predict", "--model", str(tiny_tagger_dir), "--input", str(texts), "--output", str(plain)]) == 0
    expected = [
        [(e["start"], e["end"], e["type"]) for e in json.loads(line)["entities"]]
        for line in plain.read_text(encoding="utf-8").splitlines()
    ]
    for fmt, name in (("doccano", "p.doccano.jsonl"), ("label-studio", "p.label-studio.json")):
        path = tmp_path / name
        argv = ["predict", "--model", str(tiny_tagger_dir), "--input", str(texts), "--output", str(path)]
        assert main([*argv, "--format", fmt]) == 0
        read = read_annotations(path)
        assert read.report.format == fmt and not read.report.refused
        assert [list(e.spans) for e in read.examples] == [sorted(s) for s in expected]
    tasks = json.loads((tmp_path / "p.label-studio.json").read_text(encoding="utf-8"))
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"] == tiny_tagger_dir.name and "annotations" not in tasks[0]
    assert all(0 <= r["score"] <= 1 for t in tasks for r in t["predictions"][0]["result"])
