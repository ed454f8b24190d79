"""``zhbert evaluate --report`` on the shipped classifier, on 120 held-out reviews of its own ChnSentiCorp test
split (tests/data/chnsenticorp_heldout.csv): every file, the confusion matrix's invariants, errors most confident
first, and the file:line of each label issue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, TEST_DATA
from zhbert.commands import main

from .checks import check_files, lines

SHIPPED = REPO / "zhbert_demo" / "models"
REVIEWS = TEST_DATA / "chnsenticorp_heldout.csv"


@pytest.fixture(scope="module")
def cls_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cls") / "report"
    assert main(["evaluate", "--model", str(SHIPPED / "classifier"), "--test_file", str(REVIEWS), "--report",
                 str(out), "--top", "5", "--dtype", "float32"]) == 0  # fmt: skip
    return out


def test_classification_confusion_rows_sum_to_the_gold_rows(cls_report):
    scores = json.loads((cls_report / "scores.json").read_text(encoding="utf-8"))
    matrix, labels = scores["confusion"]["matrix"], scores["confusion"]["labels"]
    assert labels == ["负面", "正面"]
    rows = REVIEWS.read_text(encoding="utf-8").splitlines()[1:]
    assert sum(map(sum, matrix)) == scores["examples"] == len(rows) == 120
    for label, row in zip(labels, matrix, strict=True):
        assert sum(row) == scores["per_label"][label]["support"] == sum(r.startswith(label + ",") for r in rows)
    wrong = sum(matrix[i][j] for i in range(2) for j in range(2) if i != j)
    errors = lines(cls_report / "errors.jsonl")
    assert len(errors) == wrong == scores["errors"] > 0
    assert [e["confidence"] for e in errors] == sorted((e["confidence"] for e in errors), reverse=True)
    assert all(e["gold"] != e["predicted"] and e["confidence"] > 0.5 for e in errors)
    assert "| gold \\ predicted | 负面 | 正面 | total |" in (cls_report / "confusion.md").read_text(encoding="utf-8")


def test_classification_label_issues_name_their_line(cls_report):
    issues = lines(cls_report / "label_issues.jsonl")
    assert issues, "the held-out reviews hold positive-labelled complaints that cleanlab flags"
    text = REVIEWS.read_text(encoding="utf-8").splitlines()
    for issue in issues:
        path, line = issue["source"].rsplit(":", 1)
        assert Path(path) == REVIEWS
        assert text[int(line) - 1].startswith(f"{issue['given']},")
        assert issue["suggested"] != issue["given"] and issue["given_probability"] < 0.5
    page = (cls_report / "label_issues.md").read_text(encoding="utf-8")
    assert "optimistic" in page and issues[0]["source"] in page.replace("\\_", "_")


def test_every_file_is_written_and_nothing_else(cls_report):
    check_files(cls_report)
