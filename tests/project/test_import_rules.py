"""The import rules hold, and breaking one fails the check that `make lint` and this suite run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "tools" / "import_rules.py"), str(root)], capture_output=True, text=True
    )


@pytest.fixture
def copy(tmp_path) -> Path:
    """The packages, the tools and pyproject.toml, copied (without data files)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.txt", "*.csv", "*.jsonl", "*.json")
    for name in ("zhbert", "wwm_pretrain", "zhbert_demo", "tools", "tests", "benchmarks"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    return tmp_path


def append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


def test_the_tree_keeps_the_rules():
    result = check(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_fails(copy):
    append(copy / "zhbert" / "text" / "checks.py", "from ..api import TextClassifier  # noqa: E402")
    result = check(copy)
    assert result.returncode == 1
    assert "zhbert.text is not allowed to import zhbert.api" in result.stdout


def test_terms_sit_above_the_text_layer(copy):
    append(copy / "zhbert" / "text" / "checks.py", "from ..terms import discover_terms  # noqa: E402")
    result = check(copy)
    assert result.returncode == 1
    assert "zhbert.text is not allowed to import zhbert.terms" in result.stdout


@pytest.mark.parametrize(
    ("file", "line", "message"),
    [
        # two modules of one package: a deferred import inside a function counts too
        (
            "zhbert/text/segmenters/base.py",
            "def _ltp():\n    from .ltp import LtpSegmenter\n\n    return LtpSegmenter",
            "import cycle in zhbert.text.segmenters: base -> ltp -> base (zhbert/text/segmenters/base.py:",
        ),
        # a module and a subpackage, which stands for every module in it
        (
            "zhbert/text/checks.py",
            "from .segmenters import Segmenter  # noqa: E402",
            "import cycle in zhbert.text: checks -> segmenters -> checks (zhbert/text/checks.py:",
        ),
        # a plain ``import a.b.c`` counts as well
        (
            "zhbert/text/chars.py",
            "import zhbert.text.word_ids  # noqa: E402",
            "import cycle in zhbert.text: chars -> word_ids -> chars",
        ),
    ],
)
def test_an_import_cycle_inside_a_package_fails(copy, file, line, message):
    append(copy / file, line)
    result = check(copy)
    assert result.returncode == 1
    assert message in result.stdout, result.stdout


def test_the_library_importing_the_demo_fails(copy):
    append(copy / "zhbert" / "cli.py", "import zhbert_demo.app  # noqa: E402")
    result = check(copy)
    assert result.returncode == 1
    assert "zhbert.cli -> zhbert_demo.app" in result.stdout


@pytest.mark.parametrize(
    ("file", "line", "message"),
    [
        (
            "zhbert/api/batching.py",
            "from ..models.fast_bert import _ONEDNN",
            "imports _ONEDNN from zhbert.models.fast_bert",
        ),
        (
            "tests/zhbert/commands/test_cli.py",
            "from zhbert.text.segmenters.jieba import _JOIN",
            "imports _JOIN from zhbert.text.segmenters.jieba",
        ),
        ("benchmarks/collator.py", "import zhbert.mlm.collator as c\nc._MACBERT_NGRAM_WEIGHTS", "uses c._MACBERT"),
    ],
)
def test_a_private_name_across_modules_fails(copy, file, line, message):
    append(copy / file, line)
    result = check(copy)
    assert result.returncode == 1
    assert message in result.stdout
