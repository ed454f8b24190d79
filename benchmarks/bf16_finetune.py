"""The Resume NER recipe (benchmarks/recipes/resume_ner.sh) fine-tuned in float32 and in bf16, one after the
other: the wall time of each and the test strict F1 each ends with. Same seed, same data, same starting weights.

    python benchmarks/bf16_finetune.py [--epochs 15] [--out runs/bf16-finetune]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

from _common import REPO, header


def run(precision: str, epochs: int, out: str) -> tuple[float, float]:
    env = {**os.environ, "EPOCHS": str(epochs), "EXTRA_ARGS": f"--bf16 {'true' if precision == 'bf16' else 'false'}"}
    start = time.perf_counter()
    done = subprocess.run(
        ["bash", "benchmarks/recipes/resume_ner.sh", f"{out}/{precision}"],
        cwd=REPO, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    last = done.stdout.strip().splitlines()[-1]  # "test_f1 0.912"
    return seconds, float(last.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default="runs/bf16-finetune")
    args = parser.parse_args()
    header("Resume NER recipe, float32 and bf16")
    results = {p: run(p, args.epochs, args.out) for p in ("float32", "bf16")}
    for precision, (seconds, f1) in results.items():
        print(f"{precision:8s} wall {seconds:6.0f} s  test strict F1 {f1:.4f}")
    (t32, f32), (t16, f16) = results["float32"], results["bf16"]
    print(f"bf16 / float32 wall time: {t16 / t32:.2f}; test F1 change: {100 * (f16 - f32):+.2f} points")


if __name__ == "__main__":
    main()
