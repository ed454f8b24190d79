"""``zhbert evaluate --report`` on the shipped tagger, on 100 held-out sentences of its own MSRA test split
(tests/data/msra_heldout.char.bio): every file, the entity confusion matrix's invariants, seqeval's strict scores,
errors most confident first, and the file:line of each label issue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, TEST_DATA
from zhbert.commands import main
from zhbert.finetune import NerTask
from zhbert.finetune.report import KINDS, match_spans

from .checks import check_files, lines

SHIPPED = REPO / "zhbert_demo" / "models"
SENTENCES = TEST_DATA / "msra_heldout.char.bio"


@pytest.fixture(scope="module")
def ner_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ner") / "report"
    assert main(["evaluate", "--model", str(SHIPPED / "tagger"), "--test_file", str(SENTENCES), "--report", str(out),
                 "--dtype", "float32"]) == 0  # fmt: skip
    return out


def test_ner_confusion_gold_rows_and_predicted_columns_sum_to_the_entities(ner_report):
    scores = json.loads((ner_report / "scores.json").read_text(encoding="utf-8"))
    names, matrix = scores["confusion"]["labels"], scores["confusion"]["matrix"]
    assert names == ["LOC", "ORG", "PER", "O"]
    examples = NerTask().read(SENTENCES)
    gold = sum(len(e.spans) for e in examples)
    assert sum(sum(row) for row in matrix[:-1]) == scores["entities"] == gold == 184
    assert sum(row[j] for row in matrix for j in range(len(names) - 1)) == scores["predicted_entities"]
    assert matrix[-1][-1] == 0
    kinds = scores["error_kinds"]
    for i, kind in enumerate(names[:-1]):
        assert (
            sum(matrix[i])
            == sum(kinds[kind][k] for k in KINDS if k != "spurious")
            == kinds[kind]["correct"] + (sum(kinds[kind][k] for k in KINDS[1:-1]))
        )
        assert matrix[-1][i] == kinds[kind]["spurious"]
        assert matrix[i][-1] == kinds[kind]["missed"]
    errors = lines(ner_report / "errors.jsonl")
    assert len(errors) == sum(c[k] for c in kinds.values() for k in KINDS if k != "correct") == scores["errors"]


def test_ner_scores_are_seqevals_strict_ones_and_errors_are_sorted(ner_report):
    from zhbert import EntityTagger

    scores = json.loads((ner_report / "scores.json").read_text(encoding="utf-8"))
    task = NerTask()
    seqeval = task.score(EntityTagger.from_pretrained(SHIPPED / "tagger", dtype="float32"), task.read(SENTENCES))
    for key in ("f1", "precision", "recall", "macro_f1"):
        assert scores[key] == pytest.approx(seqeval[key])
    for kind, row in seqeval["per_type"].items():
        assert scores["per_type"][kind]["f1"] == pytest.approx(row["f1-score"])
        assert scores["per_type"][kind]["support"] == row["support"]
    errors = lines(ner_report / "errors.jsonl")
    known = [e["confidence"] for e in errors if e["confidence"] is not None]
    assert known == sorted(known, reverse=True) and len(known) == len(errors)
    for e in errors:
        assert e["kind"] in KINDS[1:]
        for side in ("gold", "predicted"):
            if e[side]:
                assert e["text"][e[side]["start"] : e[side]["end"]] == e[side]["text"]
        gold, predicted = ([(x["start"], x["end"], x["type"])] if x else [] for x in (e["gold"], e["predicted"]))
        assert match_spans(gold, predicted)[0][0] == e["kind"]
    page = (ner_report / "errors.md").read_text(encoding="utf-8")
    assert page.startswith(f"# The 20 most confident errors (of {len(errors)})")
    shown = next(e for e in errors[:20] if e["predicted"])
    assert f"【{shown['predicted']['text']}】{shown['predicted']['type']}" in page
    missed = next(e for e in errors if e["kind"] == "missed")
    assert 0 <= missed["confidence"] <= 1  # the tagger's mean probability of O over the missed entity's words


def test_ner_label_issues_flag_words_of_their_sentence(ner_report):
    issues = lines(ner_report / "label_issues.jsonl")
    assert issues
    text = SENTENCES.read_text(encoding="utf-8").splitlines()
    for issue in issues:
        line = int(issue["source"].rsplit(":", 1)[1])
        assert text[line - 1].split("\t")[0] == issue["text"][0]
        for word in issue["words"]:
            assert issue["text"][word["start"] : word["end"]] == word["text"]
            assert word["given"] != word["suggested"] or word["given_probability"] < 0.5


def test_every_file_is_written_and_nothing_else(ner_report):
    check_files(ner_report)
