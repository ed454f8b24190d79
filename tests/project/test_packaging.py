"""What `pip install zhbert` puts in site-packages: the three packages, the demo's data and zhbert's py.typed, the
demo reachable as `zhbert demo` through an entry point, and no top-level module named `apps`."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from tests.conftest import REPO


def test_the_wheel(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("zhbert-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"zhbert", "wwm_pretrain", "zhbert_demo"}
    assert "zhbert_demo/data/law_corpus.txt" in names and "zhbert/resources/bert-base-chinese/vocab.txt" in names
    assert "zhbert/py.typed" in names  # type checkers read the package's own annotations
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[zhbert.commands]" in text and "demo = zhbert_demo.app:main" in text
    assert "build-demo-models = zhbert_demo.model_set:main" in text


def test_zhbert_demo_is_reached_through_its_entry_point():
    result = subprocess.run([sys.executable, "-m", "zhbert", "demo", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "The zhbert web demo" in result.stdout


def test_the_top_level_names_keep_their_meaning_once_every_subpackage_is_imported():
    """A name of ``zhbert.__all__`` that is also a subpackage's name would turn into that module on its import."""
    script = (
        "import importlib, inspect, pkgutil, zhbert\n"
        "for info in pkgutil.walk_packages(zhbert.__path__, 'zhbert.'):\n"
        "    if info.name != 'zhbert.__main__':\n"
        "        importlib.import_module(info.name)\n"
        "bad = [n for n in zhbert.__all__ if n != '__version__' and inspect.ismodule(getattr(zhbert, n))]\n"
        "print(len(zhbert.__all__), bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    count, bad = result.stdout.split(" ", 1)
    assert int(count) > 20 and bad.strip() == "[]", result.stdout
