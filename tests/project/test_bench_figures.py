"""benchmarks/figures.json, the registry that `make bench-check` reruns, says what docs/benchmarks.md says, and
the check reads today's figures the way the benchmarks print them. No benchmark is run here."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
from types import ModuleType

import pytest

from tests.conftest import REPO

BENCHMARKS = REPO / "benchmarks"


@pytest.fixture(scope="module")
def check() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # the benchmarks import their helpers as `_common`
    try:
        spec = importlib.util.spec_from_file_location("bench_check", BENCHMARKS / "check.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclass looks its module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_each_documented_value_is_what_the_doc_says(check):
    doc = check.DOC.read_text(encoding="utf-8")
    _, figures = check.load()
    assert len({f.name for f in figures}) == len(figures)
    for figure in figures:
        number, line = check.locate(doc, figure.doc)
        assert check.documented_value(line) == figure.documented, (
            f"{figure.name}: figures.json says {figure.documented}, docs/benchmarks.md:{number} says {line.strip()!r}"
        )


def test_a_moved_figure_is_not_found(check):
    with pytest.raises(LookupError, match=r"'no such row' not found \(looking for ## Whole-word.* / no such row\)"):
        check.locate(check.DOC.read_text(encoding="utf-8"), ("## Whole-word masking collator", "no such row"))


def test_each_figure_has_a_way_to_be_read_today(check):
    commands, figures = check.load()
    for figure in figures:
        script = (REPO / commands[figure.benchmark][0]).read_text(encoding="utf-8")
        if figure.pattern is None:
            prefix = figure.name.split(".")[0]
            assert "print_ratio(" in script and prefix in script, figure.name
        else:
            assert re.compile(figure.pattern).groups == 1, figure.name


def test_ratio_lines_round_trip(check, capsys):
    common = sys.modules["_common"]
    common.print_ratio("collator.whole_words", 3.91234)
    common.print_ratio("export_speed.tagger_b1", 0.5)
    output = "a table\n" + capsys.readouterr().out + "RATIO broken=\n"
    assert check.read_ratios(output) == {"collator.whole_words": 3.9123, "export_speed.tagger_b1": 0.5}


def test_a_fall_is_judged_in_the_figures_direction(check):
    _, figures = check.load()
    by_name = {f.name: f for f in figures}
    collator, dense = by_name["collator.whole_words"], by_name["pretrain_step.fp32_dense_amx"]
    assert check.today(collator, "RATIO collator.whole_words=3.9000\n") == 3.9
    assert check.gain(collator, 3.9) == pytest.approx(3.9 / collator.documented)
    table = "fp32 dense                         3202                0.58x           170.7\n"
    assert check.today(dense, table) == 0.58
    # the baseline got relatively faster: worse
    assert check.gain(dense, 0.58) == pytest.approx(dense.documented / 0.58)
    assert check.cpu_matches(dense, "Intel(R) Xeon(R) Processor", {"amx_bf16", "avx512f"})
    assert not check.cpu_matches(dense, "AMD EPYC 9B14", {"avx512_bf16"})


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / "check.py"), *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_list_names_every_figure_and_where_the_doc_has_it(check):
    result = run_check("--list")
    assert result.returncode == 0, result.stderr
    _, figures = check.load()
    for figure in figures:
        assert re.search(rf"{re.escape(figure.name)} .*\(docs/benchmarks\.md:\d+\)", result.stdout), figure.name
    assert "python benchmarks/collator.py" in result.stdout


def test_an_unknown_benchmark_is_refused():
    result = run_check("--only", "collator,colator")
    assert result.returncode == 2
    assert re.search(r"--only: unknown colator \(the benchmarks: collator, features", result.stderr)


def test_a_benchmark_past_its_timeout_is_stopped_and_counts_as_failed(check, tmp_path, capsys):
    script = "import subprocess, sys, time; print('started', flush=True); "
    script += "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    start = time.perf_counter()
    output, ok = check.run("sleeper", ["-c", script], tmp_path, timeout=2)
    assert not ok and output == "started\n"
    assert time.perf_counter() - start < 30
    assert "stopped after --timeout 2 s" in capsys.readouterr().err
    assert (tmp_path / "sleeper.txt").read_text(encoding="utf-8") == "started\n"
