from __future__ import annotations

import subprocess
import sys

from zhbert.cli import main

from .conftest import TEST_DATA


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
