"""Two reports of ``benchmarks/wwm_study.py`` side by side: each downstream test score of the second run against
the first, and whether the difference of the means lies within the first run's standard deviation (the bound
the study's acceptance uses for a rerun with the same seeds).

    python benchmarks/wwm_study_rerun.py FIRST.md SECOND.md
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["downstream", "main"]

_CELL = re.compile(r"([0-9.]+) ± ([0-9.]+)")


def downstream(report: Path) -> tuple[list[str], dict[str, list[tuple[float, float]]]]:
    """The columns and the ``scheme -> [(mean, std), ...]`` rows of a report's "Downstream (test split)" table."""
    lines = report.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("## Downstream"))
    table = [line for line in lines[start:] if line.startswith("|")]
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    rows: dict[str, list[tuple[float, float]]] = {}
    for line in table[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        pairs = [_CELL.fullmatch(cell) for cell in cells[1:]]
        if all(pairs):
            rows[cells[0]] = [(float(m.group(1)), float(m.group(2))) for m in pairs if m]
        elif rows:
            break
    return header[1:], rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    columns, first = downstream(args.first)
    _, second = downstream(args.second)
    print(f"# wwm study rerun: {args.second} against {args.first}")
    print(f"command: python benchmarks/wwm_study_rerun.py {args.first} {args.second}")
    print(f"{'scheme':12s} {'score':28s} {'first':>16s} {'second':>16s} {'change':>8s}  within first std")
    inside = total = 0
    for scheme, values in first.items():
        for column, (m1, s1), (m2, s2) in zip(columns, values, second[scheme], strict=True):
            ok = abs(m2 - m1) <= s1
            inside, total = inside + ok, total + 1
            verdict = "yes" if ok else "NO"
            print(f"{scheme:12s} {column:28s} {m1:.4f} ± {s1:.4f} {m2:.4f} ± {s2:.4f} {m2 - m1:+8.4f}  {verdict}")
    print(f"{inside} of {total} means within the first run's std")
