"""Bad ``--report`` arguments are refused in one line, status 2, before any model loads; a report folder is
replaced only when asked, and a missing extra names ``pip install zhbert[report]``. The tiny classifier
(conftest) keeps the runs that get as far as writing short."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import REPO, TEST_DATA
from zhbert.commands import main
from zhbert.errors import MissingExtraError
from zhbert.finetune.report import REPORT_FILES, check_report

from .checks import check_files

SHIPPED = REPO / "zhbert_demo" / "models"
REVIEWS = str(TEST_DATA / "chnsenticorp_heldout.csv")


def refused(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_bad_arguments_are_one_line_and_status_2(tmp_path, capsys, tiny_classifier_dir):
    model = str(tiny_classifier_dir)
    base = ["evaluate", "--model", model, "--test_file", REVIEWS]
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    cases = {
        str(full): rf"zhbert evaluate: error: {full} already holds files: choose another folder, or --overwrite",
        str(a_file): rf"zhbert evaluate: error: {a_file}: a file; --report names a folder to write",
        str(tmp_path / "no" / "r"): rf"zhbert evaluate: error: {tmp_path / 'no' / 'r'}: the folder {tmp_path / 'no'} "
        "does not exist",
    }
    for out, message in cases.items():
        assert refused(capsys, [*base, "--report", out]).startswith(message)
    out = str(tmp_path / "r")
    flags = {
        ("--top", "0"): "--top must be >= 1, got 0",
        ("--cv", "1"): "--cv must be >= 2 folds, got 1",
        ("--cv_base", model): "--cv_base is the base of --cv's fold models: give --cv K too",
    }
    for extra, message in flags.items():
        assert message in refused(capsys, [*base, "--report", out, *extra])
    assert "--cv finds label errors for an error report: give --report DIR too" in refused(capsys, [*base, "--cv", "2"])
    shipped = ["evaluate", "--model", str(SHIPPED / "classifier"), "--test_file", REVIEWS, "--report", out]
    with_base = [*base, "--report", out, "--cv", "2", "--cv_base", model]
    assert "cv_epochs must be > 0, got 0.0" in refused(capsys, [*with_base, "--cv_epochs", "0"])
    message = refused(capsys, [*shipped, "--cv", "3"])
    assert message.endswith("model card names none that is here: give --cv_base DIR (see --cv_base)")
    assert (full / "notes.txt").read_text() == "mine" and not (tmp_path / "r").exists()


def test_a_missing_extra_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cleanlab", None)  # as when the package is not installed
    with pytest.raises(MissingExtraError, match=r"needs cleanlab: pip install zhbert\[report\]"):
        check_report(tmp_path / "r", "m", 20, None, None, False)


def test_an_empty_folder_is_filled_and_a_full_one_replaced_with_overwrite(tmp_path, capsys, tiny_classifier_dir):
    out = tmp_path / "r"
    out.mkdir()
    argv = ["evaluate", "--model", str(tiny_classifier_dir), "--test_file", REVIEWS, "--report", str(out)]
    assert main(argv) == 0
    check_files(out)
    (out / "errors.md").write_text("edited")
    (out / "extra.txt").write_text("left by the user")
    assert main([*argv, "--overwrite"]) == 0
    check_files(out)  # the old folder's files are gone, its extra one too
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    assert "report in" in capsys.readouterr().err
