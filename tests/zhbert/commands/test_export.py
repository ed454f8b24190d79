"""``zhbert export`` from the command line: what it prints, and its one-line errors with status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from zhbert.commands import main


def test_export_prints_the_graphs_and_checks(tiny_classifier_dir, tmp_path, capsys):
    assert main(["export", str(tiny_classifier_dir), str(tmp_path / "out"), "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert f"sequence-classification -> {tmp_path / 'out'}" in out and '"label_agreement": 1.0' in out
    assert (tmp_path / "out" / "zhbert_export.json").is_file()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not a model", "no config.json, so no model zhbert exports"),
        ("no such model", "no such model directory"),
        ("not empty", "not empty; choose a new directory or allow overwriting (see --overwrite)"),
        ("unknown flag", "unrecognized arguments: --quantize-int4"),
    ],
)
def test_errors_are_one_line_with_status_2(case, message, tiny_classifier_dir, tmp_path, capsys):
    out = tmp_path / "out"
    model = str(tiny_classifier_dir)
    extra: list[str] = []
    if case == "not a model":
        (tmp_path / "empty").mkdir()
        model = str(tmp_path / "empty")
    elif case == "no such model":
        model = str(tmp_path / "nope")
    elif case == "not empty":
        out.mkdir()
        (out / "x").write_text("x")
    else:
        extra = ["--quantize-int4"]
    assert main(["export", model, str(out), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("zhbert export: error: ") and message in err[0]


def test_without_onnxruntime_the_extra_is_named(tiny_classifier_dir, tmp_path):
    code = (
        "import sys; sys.modules['onnxruntime'] = None\n"
        "from zhbert.commands import main\n"
        f"sys.exit(main(['export', {str(tiny_classifier_dir)!r}, {str(tmp_path / 'out')!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "zhbert export: error: exported models run on ONNX Runtime, which is not installed: pip install zhbert[onnx]"
    ]
    assert not (tmp_path / "out").exists()
