"""Shared helpers for the benchmark scripts: data paths, timing, and the command line that was run."""

from __future__ import annotations

import os
import platform
import random
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("ZHBERT_SHARED_DATA", REPO.parent / "shared" / "data"))


def law_lines(n: int, seed: int = 0) -> list[str]:
    text = (SHARED_DATA / "law_corpus_zh" / "law_corpus.txt").read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if line.strip()]
    return random.Random(seed).sample(lines, n)


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """Run the functions in turn, ``repeats`` rounds, so drift in machine speed hits all alike.

    Returns (fastest, median) wall time in seconds per name.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: (min(ts), sorted(ts)[len(ts) // 2]) for name, ts in times.items()}


def header(title: str) -> None:
    import torch

    print(f"# {title}")
    print(f"command: python {shlex.join(sys.argv)}")
    threads = torch.get_num_threads()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, threads {threads}")
    from zhbert.models import cpu_bf16_supported

    print(f"bf16 in hardware (avx512_bf16 or amx_bf16): {'yes' if cpu_bf16_supported() else 'no (torch emulates it)'}")
