from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import TEST_DATA
from zhbert.commands import main


def test_preview_shows_whole_words(capsys):
    assert main(["preview", "被告人犯非法吸收公众存款罪。", "--user-dict", str(TEST_DATA / "legal_terms.txt")]) == 0
    out = capsys.readouterr().out
    assert "words:   被告人 / 犯 / 非法吸收公众存款罪 / 。" in out
    assert "masked:" in out and "input:" in out


def test_preview_error_is_one_line(capsys):
    assert main(["preview", "你好", "--user-dict", "/no/such/dict.txt"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "zhbert preview: error: user dictionary not found: /no/such/dict.txt"


def test_module_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "zhbert", "preview", "中华人民共和国刑法", "--segmenter", "char"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "words:   中 / 华 / 人 / 民 / 共 / 和 / 国 / 刑 / 法" in result.stdout


def test_import_loads_no_torch():
    code = "import sys, zhbert; assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


HELP = [
    ["--help"],
    ["preview", "--help"],
    ["evaluate", "--help"],
    ["predict", "--help"],
    ["terms", "--help"],
    ["serve", "--help"],
    ["train", "ner", "--help"],
    ["train", "classify", "--help"],
    ["demo", "--help"],
    ["build-demo-models", "--help"],
]


def _status(call, argv):
    try:
        return call(argv)
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize("argv", HELP, ids=" ".join)
def test_every_help_prints_and_exits_0(argv, capsys):
    assert _status(main, argv) in (0, None)
    out = capsys.readouterr().out
    assert out.startswith("usage:") and len(out.splitlines()) > 3


def test_wwm_pretrain_help_prints_and_exits_0(capsys):
    from wwm_pretrain.run import main as pretrain_main

    assert _status(pretrain_main, ["--help"]) in (0, None)
    assert "--user_dict" in capsys.readouterr().out
