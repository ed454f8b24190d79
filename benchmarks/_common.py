"""Shared helpers for the benchmark scripts: data paths, timing, and the command line that was run."""

from __future__ import annotations

import os
import platform
import random
import re
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


SHIPPED_MODELS = REPO / "zhbert_demo" / "models"

RATIO_LINE = re.compile(r"^RATIO ([\w.]+)=([0-9.eE+-]+)$", re.MULTILINE)


def print_ratio(name: str, value: float) -> None:
    """A machine-readable line, ``RATIO name=value``, for a figure of docs/benchmarks.md that benchmarks/check.py
    compares with its documented value (benchmarks/figures.json names it)."""
    print(f"RATIO {name}={value:.4f}")


def read_ratios(output: str) -> dict[str, float]:
    """The ``RATIO name=value`` lines of a benchmark's output."""
    return {name: float(value) for name, value in RATIO_LINE.findall(output)}


def shipped_tagger_split(split: str = "test") -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    """The texts and gold entity spans of the shipped tagger's dev or test part: MSRA NER's training file split
    10/10 with seed 42 after repairing its invalid tag sequences, as ``zhbert_demo.release`` trained it."""
    from wwm_pretrain.splits import DEV_PERCENT, SPLIT_SEED, TEST_PERCENT
    from zhbert.data import read_ner_data, split_examples
    from zhbert_demo.release import MSRA_TRAIN

    examples = read_ner_data(SHARED_DATA / MSRA_TRAIN, fix_tags=True).examples
    _, dev, test = split_examples(examples, DEV_PERCENT, TEST_PERCENT, SPLIT_SEED)
    part = {"dev": dev, "test": test}[split]
    return [e.text for e in part], [[(s, t, k) for s, t, k in e.spans] for e in part]


def shipped_classifier_split(split: str = "test") -> tuple[list[str], list[str]]:
    """The texts and gold labels (the model's names, 负面 / 正面) of the shipped classifier's dev or test part: the
    dev or test parts of ChnSentiCorp, waimai_10k and online_shopping_10_cats, each split 10/10 with seed 42, as
    ``zhbert_demo.release`` wrote them."""
    from wwm_pretrain.splits import DEV_PERCENT, SPLIT_SEED, TEST_PERCENT
    from zhbert.data import read_cls_file, split_examples
    from zhbert_demo.release import REVIEW_SETS, SENTIMENT_NAMES

    texts, labels = [], []
    for relative in REVIEW_SETS.values():
        examples = read_cls_file(SHARED_DATA / relative, text_column="review").examples
        _, dev, test = split_examples(examples, DEV_PERCENT, TEST_PERCENT, SPLIT_SEED)
        for e in {"dev": dev, "test": test}[split]:
            texts.append(e.text)
            labels.append(SENTIMENT_NAMES[str(e.label)])
    return texts, labels


def sample(n: int | None, *columns: list, seed: int = 0) -> tuple[list, ...]:
    """The same ``n`` rows (drawn with ``seed``, in their order) of each column; all of them when ``n`` is None."""
    if n is None or n >= len(columns[0]):
        return columns
    rows = sorted(random.Random(seed).sample(range(len(columns[0])), n))
    return tuple([column[i] for i in rows] for column in columns)


def cpu_info() -> tuple[str, set[str]]:
    """The CPU's model name and its flags, from /proc/cpuinfo where there is one."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    return name, flags


def cpu_description() -> str:
    """The CPU's model name, the cores this process may use, and the flags that decide int8 and bf16 speed."""
    from zhbert.cores import usable_cores

    name, flags = cpu_info()
    wanted = ("avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16")
    shown = ", ".join(f"{f} {'yes' if f in flags else 'no'}" for f in wanted)
    return f"{name}; {os.cpu_count()} cores, {usable_cores()} usable by this process; {shown}"
