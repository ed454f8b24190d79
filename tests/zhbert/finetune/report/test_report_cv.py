"""``--cv K``: K tiny models fine-tuned from the tiny base (conftest), each on K - 1 folds of a small file, give
the label-error search out-of-fold probabilities; one progress line per fold."""

from __future__ import annotations

import re

from tests.conftest import TEST_DATA
from zhbert.commands import main
from zhbert.data import write_conll_bioes
from zhbert.finetune import ClassificationTask, NerTask
from zhbert.finetune.report.folds import fold_ids

from .checks import check_files, lines


def test_folds_are_stratified_and_fixed_by_the_seed():
    keys = ["a"] * 7 + ["b"] * 3
    folds = fold_ids(keys, 3, seed=1)
    assert folds == fold_ids(keys, 3, seed=1)
    assert sorted(f for f, k in zip(folds, keys, strict=True) if k == "b") == [0, 1, 2]
    assert sorted(f for f, k in zip(folds, keys, strict=True) if k == "a") == [0, 0, 0, 1, 1, 2, 2]


def test_cv_classification(tmp_path, capsys, tiny_classifier_dir, tiny_mlm_dir):
    rows = (TEST_DATA / "chnsenticorp_heldout.csv").read_text(encoding="utf-8").splitlines()[:25]
    data = tmp_path / "small.csv"
    data.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")  # CRLF, as files saved on Windows are
    out = tmp_path / "r"
    argv = ["evaluate", "--model", str(tiny_classifier_dir), "--test_file", str(data), "--report", str(out),
            "--cv", "2", "--cv_base", str(tiny_mlm_dir), "--cv_epochs", "1", "--cv_batch_size", "8"]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    folds = re.findall(r"zhbert evaluate --cv 2: fold (\d)/2: trained on (\d+), predicted (\d+) \(\d+ s\)", err)
    assert [k for k, _, _ in folds] == ["1", "2"]
    assert all(int(trained) + int(predicted) == 24 for _, trained, predicted in folds)
    assert sum(int(predicted) for *_, predicted in folds) == 24
    check_files(out)
    assert "Out-of-fold probabilities: 2 models fine-tuned from" in (out / "label_issues.md").read_text("utf-8")
    assert len(ClassificationTask().read(data)) == 24


def test_cv_ner(tmp_path, capsys, tiny_tagger_dir, tiny_mlm_dir):
    task = NerTask()
    examples = [e for e in task.read(TEST_DATA / "msra_heldout.char.bio")[:12]]
    people = [type(e)(e.text, tuple(s for s in e.spans if s[2] == "PER"), e.source) for e in examples]
    data = tmp_path / "people.bioes"
    write_conll_bioes(data, people)
    out = tmp_path / "r"
    argv = ["evaluate", "--model", str(tiny_tagger_dir), "--test_file", str(data), "--report", str(out),
            "--cv", "3", "--cv_base", str(tiny_mlm_dir), "--cv_epochs", "1"]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert re.findall(r"--cv 3: fold (\d)/3: trained on 8, predicted 4", err) == ["1", "2", "3"]
    check_files(out)
    assert "Out-of-fold probabilities: 3 models" in (out / "label_issues.md").read_text("utf-8")
    for issue in lines(out / "label_issues.jsonl"):
        assert {w["given"] for w in issue["words"]} <= {"O", "PER"}
