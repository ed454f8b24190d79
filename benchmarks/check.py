"""Are the figures of docs/benchmarks.md still true? Reruns the quick benchmarks named in benchmarks/figures.json and
prints each documented ratio beside today's, flagging any that fell by more than 20%; exits 1 if one did (or if a
benchmark failed), 0 otherwise. A figure measured on another kind of CPU (its ``cpu`` entry) is shown, not judged.

    python benchmarks/check.py                     (all of them: a few minutes on 2 cores; or `make bench-check`)
    python benchmarks/check.py --only collator     (one benchmark, or several: --only collator,features)
    python benchmarks/check.py --list              (the figures, their commands and where the doc has them)

Run it on a quiet machine: the ratios are side by side within each run, but a loaded machine still moves them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _common import REPO, cpu_info, read_ratios

FIGURES = Path(__file__).resolve().parent / "figures.json"
DOC = REPO / "docs" / "benchmarks.md"
THRESHOLD = 0.20
VALUE = re.compile(r"(\d+\.\d+)x")


@dataclass(frozen=True)
class Figure:
    name: str
    benchmark: str
    what: str
    documented: float
    doc: tuple[str, ...]
    machine: str
    cpu: tuple[str, ...]
    better: str = "higher"
    pattern: str | None = None


def load(path: Path = FIGURES) -> tuple[dict[str, list[str]], list[Figure]]:
    """The benchmarks' commands by name, and the figures, as figures.json lists them."""
    data = json.loads(path.read_text(encoding="utf-8"))
    figures = [Figure(**{**f, "doc": tuple(f["doc"]), "cpu": tuple(f["cpu"])}) for f in data["figures"]]
    for f in figures:
        if f.benchmark not in data["benchmarks"] or f.better not in ("higher", "lower"):
            raise ValueError(f"{path}: figure {f.name}: unknown benchmark {f.benchmark!r} or better {f.better!r}")
    return data["benchmarks"], figures


def locate(doc: str, where: tuple[str, ...]) -> tuple[int, str]:
    """The line number (1-based) and text of the line holding a figure: each string of ``where`` is looked for on
    the lines after the previous one's, the last on the figure's own line."""
    lines = doc.splitlines()
    at = -1
    for part in where:
        at = next((i for i in range(at + 1, len(lines)) if part in lines[i]), -1)
        if at < 0:
            raise LookupError(f"docs/benchmarks.md: {part!r} not found (looking for {' / '.join(where)})")
    return at + 1, lines[at]


def documented_value(line: str) -> float | None:
    """The first ``N.NNx`` of a doc line: the figure it holds."""
    found = VALUE.search(line)
    return float(found.group(1)) if found else None


def today(figure: Figure, output: str) -> float | None:
    """Today's value of the figure from its benchmark's output: its RATIO line, else its pattern's first match."""
    if figure.pattern is None:
        return read_ratios(output).get(figure.name)
    found = re.search(figure.pattern, output, re.MULTILINE)
    return float(found.group(1)) if found else None


def gain(figure: Figure, value: float) -> float:
    """Today's advantage over the documented one: below 1 means the figure got worse."""
    return value / figure.documented if figure.better == "higher" else figure.documented / value


def cpu_matches(figure: Figure, name: str, flags: set[str]) -> bool:
    return all(part in name or part in flags for part in figure.cpu)


def command_line(args: list[str]) -> str:
    return shlex.join(["python", *args])


def run(name: str, args: list[str], logs: Path, timeout: float) -> tuple[str, bool]:
    """Run one benchmark from the repository root with this Python; its output, also written to ``logs``."""
    print(f"running {name}: {command_line(args)}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    # its own process group, so that a benchmark stopped at the timeout takes the servers it started with it
    proc = subprocess.Popen(
        [sys.executable, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        output = proc.communicate(timeout=timeout)[0]
        status, ok = f"exit status {proc.returncode}", proc.returncode == 0
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output = proc.communicate()[0]
        status, ok = f"stopped after --timeout {timeout:g} s", False
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"{name}.txt").write_text(output, encoding="utf-8")
    print(f"  {time.perf_counter() - start:.0f} s, {status}", file=sys.stderr, flush=True)
    if not ok:
        tail = "\n".join(output.splitlines()[-15:])
        print(f"  {name} failed; the end of its output:\n{tail}", file=sys.stderr)
    return output, ok


def list_figures(commands: dict[str, list[str]], figures: list[Figure]) -> None:
    doc = DOC.read_text(encoding="utf-8")
    for bench, args in commands.items():
        print(f"{bench}: {command_line(args)}")
        for f in (f for f in figures if f.benchmark == bench):
            line, _ = locate(doc, f.doc)
            cpu = f"; judged only on a CPU with {', '.join(f.cpu)}" if f.cpu else ""
            lower = ", lower is better" if f.better == "lower" else ""
            print(f"  {f.name:34s} {f.documented:.2f}x{lower} (docs/benchmarks.md:{line}): {f.what}")
            print(f"  {'':34s} measured on: {f.machine}{cpu}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated benchmarks (see --list); default: all")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    parser.add_argument("--logs", default=str(REPO / "runs" / "bench-check"), help="where each output is kept")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds a benchmark may run (default 1200)")
    args = parser.parse_args()
    commands, figures = load()
    only = [b for b in args.only.split(",") if b]
    unknown = sorted(set(only) - set(commands))
    if unknown:
        parser.error(f"--only: unknown {', '.join(unknown)} (the benchmarks: {', '.join(commands)})")
    if args.list:
        list_figures(commands, figures)
        return 0
    chosen = [b for b in commands if not only or b in only]
    doc = DOC.read_text(encoding="utf-8")
    name, flags = cpu_info()
    start_load = os.getloadavg()
    load_avg = " ".join(f"{x:.1f}" for x in start_load)
    print("# bench-check: documented ratios of docs/benchmarks.md against today's")
    print(f"machine: {name}, {os.cpu_count()} cores, load average {load_avg} at the start", flush=True)

    outputs = {bench: run(bench, commands[bench], Path(args.logs), args.timeout) for bench in chosen}
    print(f"{'figure':34s} {'documented':>10s} {'today':>8s} {'change':>7s}  flag")
    fell, failed, notes = [], [], []
    for f in (f for f in figures if f.benchmark in chosen):
        output, ok = outputs[f.benchmark]
        value = today(f, output)
        line, _ = locate(doc, f.doc)
        if value is None:
            failed.append(f.name)
            flag = "NO VALUE (the benchmark failed)" if not ok else "NO VALUE (not in the output)"
            print(f"{f.name:34s} {f.documented:9.2f}x {'-':>8s} {'-':>7s}  {flag}")
            continue
        change = gain(f, value) - 1
        if not cpu_matches(f, name, flags):
            flag = f"not judged: measured on a CPU with {', '.join(f.cpu)}"
        elif change < -THRESHOLD:
            flag = "FELL"
            fell.append(f.name)
            notes.append(f"  {f.name}: docs/benchmarks.md:{line}, measured on {f.machine}")
        else:
            flag = "ok"
        lower = " (lower is better)" if f.better == "lower" else ""
        print(f"{f.name:34s} {f.documented:9.2f}x {value:7.2f}x {change:+7.0%}  {flag}{lower}")
    print(f"outputs: {args.logs}")
    if notes:
        print("fell:\n" + "\n".join(notes))
    end_load = os.getloadavg()[0]
    print(f"load average at the end: {end_load:.1f}")
    if start_load[0] >= 1 or end_load > (os.cpu_count() or 1) + 1:
        print("note: other work shared the machine, which moves even side-by-side ratios; rerun a figure that fell on")
        print("a quiet machine before believing it")
    if fell or failed:
        if fell:
            print(f"{len(fell)} figure(s) fell by more than {THRESHOLD:.0%}: {', '.join(fell)}")
        if failed:
            print(f"{len(failed)} figure(s) without a value today: {', '.join(failed)}")
        return 1
    print(f"every figure judged is within {THRESHOLD:.0%} of its documented value or above it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
