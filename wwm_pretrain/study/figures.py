"""The study's figures from its stages' results: the scores per scheme, their mean and spread, and the two plots
of the report (pretraining curves, downstream scores)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["TASK_TITLES", "mean_std", "plot_downstream", "plot_pretraining", "scores"]

TASK_TITLES = {"legal_branch": "legal: branch of law", "chnsenticorp": "ChnSentiCorp", "waimai": "waimai_10k"}


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def scores(results: dict[str, Any], task: str, scheme: str, seeds: Sequence[int], key: str) -> list[float]:
    """The ``key`` scores of the fine-tunes of ``scheme`` on ``task``, one per seed that has a result."""
    found = [results.get(f"finetune/{task}/{scheme}/seed{s}", {}).get(key) for s in seeds]
    return [float(v) for v in found if v is not None]


def _initial_point(metrics: dict[str, Any]) -> dict[str, Any]:
    """The evaluation before training (Trainer's log history starts after it), at 0 tokens."""
    keys = ("eval_loss", "eval_masked_accuracy", "eval_cloze_accuracy", "eval_cloze_loss")
    return {"num_input_tokens_seen": 0, **{k: metrics[f"init_{k}"] for k in keys if f"init_{k}" in metrics}}


def plot_pretraining(path: Path, results: dict[str, Any], domains: Sequence[str], schemes: Sequence[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("loss", "training loss (the scheme's own task)"),
        ("eval_cloze_accuracy", "held-out cloze accuracy"),
        ("eval_masked_accuracy", "held-out masked accuracy (own task)"),
    ]
    fig, axes = plt.subplots(len(domains), len(panels), figsize=(4.2 * len(panels), 3.2 * len(domains)), squeeze=False)
    for row, domain in enumerate(domains):
        none = results.get(f"pretrain/{domain}/none", {}).get("cloze", {}).get("cloze_accuracy")
        for col, (key, title) in enumerate(panels):
            ax = axes[row][col]
            for scheme in schemes:
                run = results.get(f"pretrain/{domain}/{scheme}", {})
                curve = [_initial_point(run.get("metrics", {})), *run.get("curve", [])]
                points = [(e.get("num_input_tokens_seen", 0), e[key]) for e in curve if key in e]
                if points:
                    ax.plot([x / 1e6 for x, _ in points], [y for _, y in points], marker=".", label=scheme)
            if key == "eval_cloze_accuracy" and none is not None:
                ax.axhline(none, color="grey", linestyle=":", label="none (fixed masks)")
            ax.set_title(f"{domain}: {title}", fontsize=9)
            ax.set_xlabel("tokens seen (millions)", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        for ax in axes[row][:2]:
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_downstream(
    path: Path, results: dict[str, Any], tasks: Sequence[str], schemes: Sequence[str], seeds: Sequence[int]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [(t, "test_accuracy", "accuracy") for t in tasks]
    if "legal_branch" in tasks:
        metrics.insert(tasks.index("legal_branch") + 1, ("legal_branch", "test_macro_f1", "macro-F1"))
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.2), squeeze=False)
    for ax, (task, key, label) in zip(axes[0], metrics, strict=True):
        stats = [mean_std(scores(results, task, s, seeds, key)) for s in schemes]
        ax.bar(range(len(schemes)), [m for m, _ in stats], yerr=[s for _, s in stats], capsize=3, color="#4c72b0")
        baseline = results.get(f"baseline/{task}", {}).get("accuracy" if key == "test_accuracy" else "macro_f1")
        if baseline is not None:
            ax.axhline(baseline, color="#c44e52", linestyle="--", label="n-gram baseline")
            ax.legend(fontsize=7, loc="lower right")
        values = [m - s for m, s in stats if not math.isnan(m)] + ([baseline] if baseline is not None else [])
        top = [m + s for m, s in stats if not math.isnan(m)] + ([baseline] if baseline is not None else [])
        if values:
            span = max(top) - min(values)
            ax.set_ylim(max(0.0, min(values) - 0.3 * span - 0.01), min(1.0, max(top) + 0.15 * span + 0.01))
        ax.set_xticks(range(len(schemes)), schemes, rotation=30, fontsize=8)
        ax.set_title(f"{TASK_TITLES.get(task, task)}: test {label}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"mean ± std over {len(seeds)} fine-tuning seeds", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
