"""``zhbert predict`` over a large file: texts/s, peak memory and the output's line count.

    python benchmarks/predict_scale.py                   # 1,000,000 lines (20-40 min on a loaded 2-core machine)
    python benchmarks/predict_scale.py --lines 20000     # a quick run
    nohup python benchmarks/predict_scale.py > runs/predict_scale.log 2>&1 &

The input is generated into runs/predict_scale/ (not committed): real reviews from the shipped
zhbert_demo/data/waimai_reviews.csv, repeated and varied (two joined, or one cut), one per line, with a blank line
every 1,000. The shipped classifier labels it in a child process, ``zhbert predict --quiet``; the child's peak RSS
comes from its own rusage (``os.wait4``), its RSS along the way from /proc. Bounded memory shows as the
same peak for a run of a tenth of the lines (``--small``, run first, side by side) as for the whole file.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REVIEWS = REPO / "zhbert_demo" / "data" / "waimai_reviews.csv"
MODEL = REPO / "zhbert_demo" / "models" / "classifier"


def make_input(path: Path, lines: int, seed: int = 0) -> None:
    """``lines`` lines of real reviews, repeated and varied, a blank line every 1,000."""
    with REVIEWS.open(encoding="utf-8", newline="") as handle:
        reviews = [row["review"].replace("\n", " ").strip() for row in csv.DictReader(handle)]
    reviews = [r for r in reviews if r]
    rng = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for i in range(lines):
            if i % 1000 == 999:
                out.write("\n")
                continue
            text = rng.choice(reviews)
            roll = rng.random()
            if roll < 0.2:
                text = f"{text}，{rng.choice(reviews)}"
            elif roll < 0.4 and len(text) > 8:
                text = text[: rng.randint(4, len(text))]
            out.write(text + "\n")
    tmp.replace(path)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run(
    input_path: Path, output: Path, threads: int | None, every: float, dtype: str | None = None
) -> dict[str, float]:
    """One ``zhbert predict`` child over ``input_path``: seconds, peak RSS (MB), output lines."""
    output.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "zhbert", "predict", "--model", str(MODEL), "--input", str(input_path)]
    argv += ["--output", str(output), "--quiet"] + (["--threads", str(threads)] if threads else [])
    argv += ["--dtype", dtype] if dtype else []
    print(f"$ {shlex.join(argv)}", flush=True)
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=REPO)
    seen, counted, last = 0, 0, start
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)  # this child's own rusage, once it has ended
        if pid:
            break
        time.sleep(1.0)
        if time.perf_counter() - last >= every and output.exists():
            with output.open("rb") as handle:  # count only what was added since the last look
                handle.seek(seen)
                block = handle.read()
            seen += len(block)
            counted += block.count(b"\n")
            last = time.perf_counter()
            rss = rss_mb(child.pid)
            rate = counted / (last - start)
            print(
                f"  {last - start:7.0f} s  {counted:>9,} lines  {rate:7.1f} lines/s  RSS {rss or 0:6.0f} MB", flush=True
            )
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"zhbert predict exited with status {child.returncode}")
    with output.open("rb") as handle:
        out_lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "out_lines": out_lines}  # ru_maxrss: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=None, help="lines of the side-by-side smaller run "
                        "(default: a tenth of --lines; 0: none)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=None, help="zhbert predict --threads (default: its own)")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between progress lines")
    parser.add_argument("--dtype", default=None, help="zhbert predict --dtype (default: its own)")
    args = parser.parse_args()
    small = args.lines // 10 if args.small is None else args.small
    folder = REPO / "runs" / "predict_scale"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"# zhbert predict at scale\ncommand: python {shlex.join(sys.argv)}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    results = {}
    for lines in [n for n in (small, args.lines) if n]:
        path = folder / f"input_{lines}.txt"
        if not path.exists():
            started = time.perf_counter()
            make_input(path, lines)
            print(f"generated {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
        results[lines] = run(path, folder / f"output_{lines}.jsonl", args.threads, args.every, args.dtype)
    print("\n| input lines | output lines | wall s | texts/s (start-up included) | peak RSS of zhbert predict |")
    print("|---:|---:|---:|---:|---:|")
    for lines, r in results.items():
        rate, peak = lines / r["seconds"], r["peak_mb"]
        print(f"| {lines:,} | {r['out_lines']:,} | {r['seconds']:.0f} | {rate:.1f} | {peak:.0f} MB |")
        if r["out_lines"] != lines:
            print(f"OUTPUT LINES DIFFER: {r['out_lines']:,} for {lines:,} input lines")


if __name__ == "__main__":
    main()
