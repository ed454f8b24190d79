"""``zhbert data check``: what a file holds, before any training: counts per type, overlaps, repairs, bad tags,
duplicates, empty texts, entities past ``--max_seq_length``, a few texts with their tags, the Weibo decision."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_DATA
from zhbert.commands import main

HERE = TEST_DATA / "annotations"


def check(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["data", "check", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_label_studio_export(capsys):
    status, out, _ = check(capsys, str(HERE / "label_studio.json"), "--examples", "1")
    assert status == 0
    assert "label-studio (detected): 2 texts, 4 entities read, 2 repaired, 0 refused, 0 overlapping pairs" in out
    assert "offsets counted UTF-16 units, and were read so" in out
    assert "entities: 4 (ORG 2, PER 2)" in out and "duplicate texts: 0; empty texts: 0" in out
    assert "past 256 tokens: 0 entities in 0 texts" in out
    assert "label_studio.json:2: 张/B-PER 小/I-PER 明/E-PER 在/O 北/B-ORG" in out


def test_overlaps_refusals_and_line_breaks(capsys):
    status, out, _ = check(capsys, str(HERE / "brat"))
    assert status == 0
    assert "1 refused, 1 overlapping pairs" in out and "is discontinuous" in out
    assert "a tagger keeps one entity per character: 1 would be left out (overlaps)" in out
    status, out, _ = check(capsys, str(HERE / "doccano_entities.jsonl"))
    assert status == 0 and r"行/O \r/O \n/O 马/B-PER" in out
    status, out, _ = check(capsys, str(HERE / "doccano_utf16.jsonl"), "--offsets", "codepoints")
    assert status == 0 and "1 refused" in out and "doccano_utf16.jsonl:2: PER [9, 12) is past the end" in out


def test_tag_file_repairs_duplicates_and_length(tmp_path, capsys):
    path = tmp_path / "train.txt"
    path.write_text("在 O\n京 I-LOC\n\n在 O\n京 I-LOC\n\n" + "好 O\n" * 300 + "张 B-PER\n三 I-PER\n", encoding="utf-8")
    status, out, _ = check(capsys, str(path), "--max_seq_length", "128")
    assert status == 0
    assert "tags (IOB2), 3 texts" in out and f"2 invalid tag sequences repaired (the first: {path}:2: " in out
    assert "duplicate texts: 1" in out and "past 128 tokens: 1 entities in 1 texts" in out


def test_weibo_position_digits_said(capsys):
    status, out, _ = check(capsys, str(TEST_DATA / "weibo_shape.train"))
    assert status == 0 and "read as Weibo-style tokens" in out and "PER.NAM 2" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nowhere.json"], "nowhere.json: no such file"),
        ([str(HERE / "cmeee.json"), "--format", "conll"], "format must be 'auto' or one of"),
        ([str(TEST_DATA / "legal_terms.txt")], "legal_terms.txt:4: no tag column in '危害公共安全罪'"),
    ],
)
def test_a_file_that_does_not_read_is_one_line(argv, message, capsys):
    status, out, err = check(capsys, *argv)
    assert status == 2 and not out and len(err.strip().splitlines()) == 1 and message in err, err
