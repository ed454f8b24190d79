"""A GBK-encoded corpus given to the pretraining commands fails with one line that names the file and its
encoding, a non-zero exit status and no traceback, as a user running them in a shell sees it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from zhbert.resources import BERT_BASE_CHINESE_DIR


@pytest.fixture
def gbk_corpus(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("中华人民共和国刑法\n第一条 为了惩罚犯罪，保护人民。\n".encode("gbk"))
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=300, env=env, cwd=REPO)


def assert_one_line_naming(result: subprocess.CompletedProcess[str], prefix: str, path) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert len(errors) == 1, result.stderr
    assert f"{path}:1: not UTF-8 text; it decodes as GBK/GB18030" in errors[0]


def test_wwm_pretrain_train_file(gbk_corpus, tiny_config_dir, tmp_path):
    result = run(
        "wwm_pretrain", "--config_name", str(tiny_config_dir), "--tokenizer_name", str(BERT_BASE_CHINESE_DIR),
        "--train_file", str(gbk_corpus), "--output_dir", str(tmp_path / "out"),
        "--prepared_cache_dir", str(tmp_path / "cache"), "--max_steps", "1", "--report_to", "none",
    )  # fmt: skip
    assert_one_line_naming(result, "wwm-pretrain: error: ", gbk_corpus)
    assert not (tmp_path / "out" / "trainer_state.json").exists()


def test_vocabulary_builder(gbk_corpus, tmp_path):
    result = run(
        "wwm_pretrain.vocab", "--tokenizer", str(BERT_BASE_CHINESE_DIR), "--output_dir", str(tmp_path / "vocab"),
        str(gbk_corpus),
    )  # fmt: skip
    assert_one_line_naming(result, "python -m wwm_pretrain.vocab: error: ", gbk_corpus)
    assert not (tmp_path / "vocab" / "vocab.txt").exists()
