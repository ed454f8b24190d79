"""The Resume NER recipe (benchmarks/recipes/resume_ner.sh) fine-tuned in float32 and in bf16, one after the
other: the wall time of each and the test strict F1 each ends with. Same seed, same data, same starting weights.

Early stopping ends the two precisions at different epochs, and which dev epoch wins moves the test F1 by a few
tenths of a point either way; ``--seeds 0,1,2`` runs one pair a seed and also prints the means, which separate
the precision's effect from that noise better than one pair can. Seed 0 writes to ``OUT/float32`` and
``OUT/bf16``, seed s > 0 to ``OUT/seed{s}/...``; a pair already finished (its ``result.json``) is read back, not
rerun, so an interrupted run resumes with the same command.

    python benchmarks/bf16_finetune.py [--epochs 15] [--seeds 0] [--out runs/bf16-finetune]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

from _common import REPO, header

from zhbert.text.files import atomic_write

PRECISIONS = ("float32", "bf16")


def run(precision: str, epochs: int, seed: int, out: Path) -> tuple[float, float]:
    """(wall seconds, test F1) of one fine-tune, read from ``out/result.json`` when it already ran."""
    record = out / "result.json"
    if record.exists():
        done = json.loads(record.read_text(encoding="utf-8"))
        return done["wall_s"], done["test_f1"]
    flags = f"--bf16 {'true' if precision == 'bf16' else 'false'} --seed {seed}"  # after the recipe's --seed 0
    env = {**os.environ, "EPOCHS": str(epochs), "EXTRA_ARGS": flags}
    start = time.perf_counter()
    finished = subprocess.run(
        ["bash", "benchmarks/recipes/resume_ner.sh", str(out)],
        cwd=REPO, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    f1 = float(finished.stdout.strip().splitlines()[-1].split()[-1])  # "test_f1 0.912"
    with atomic_write(record) as handle:  # a run stopped while writing leaves no half record to read back
        json.dump({"wall_s": seconds, "test_f1": f1, "seed": seed}, handle)
    return seconds, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", default="0", help="comma-separated seeds, one float32/bf16 pair each")
    parser.add_argument("--out", default="runs/bf16-finetune")
    args = parser.parse_args()
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds must be comma-separated integers, got {args.seeds!r}")
    header("Resume NER recipe, float32 and bf16")
    results: dict[str, list[tuple[float, float]]] = {p: [] for p in PRECISIONS}
    for seed in seeds:
        base = Path(args.out) if seed == 0 else Path(args.out) / f"seed{seed}"
        for precision in PRECISIONS:
            results[precision].append(run(precision, args.epochs, seed, base / precision))
        (t32, f32), (t16, f16) = results["float32"][-1], results["bf16"][-1]
        print(
            f"seed {seed}: float32 wall {t32:6.0f} s  test strict F1 {f32:.4f} | bf16 wall {t16:6.0f} s  "
            f"test strict F1 {f16:.4f} | wall {t16 / t32:.2f}x, F1 {100 * (f16 - f32):+.2f} points",
            flush=True,
        )
    if len(seeds) > 1:
        for precision, rows in results.items():
            f1s = [f for _, f in rows]
            print(f"{precision:8s} over {len(rows)} seeds: wall {sum(t for t, _ in rows):6.0f} s  "
                  f"test strict F1 {statistics.mean(f1s):.4f} ± {statistics.stdev(f1s):.4f}")  # fmt: skip
    t32, t16 = (sum(t for t, _ in results[p]) for p in PRECISIONS)
    f32, f16 = (statistics.mean(f for _, f in results[p]) for p in PRECISIONS)
    print(f"bf16 / float32 wall time: {t16 / t32:.2f}; test F1 change: {100 * (f16 - f32):+.2f} points"
          + (f" (means over {len(seeds)} seeds)" if len(seeds) > 1 else ""))  # fmt: skip


if __name__ == "__main__":
    main()
