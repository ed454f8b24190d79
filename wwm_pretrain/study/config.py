"""The study's settings: schemes, domains and tasks, the budgets of each preset, and where things are."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_SEED",
    "DEFAULT_BASE",
    "DOMAINS",
    "FULL",
    "PRESETS",
    "PRETRAIN_SEED",
    "QUICK",
    "REPO",
    "SCHEMES",
    "SHARED_DATA",
    "SMOKE",
    "TASKS",
    "USER_DICTS",
    "StudyConfig",
    "settings",
    "shown",
]

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("ZHBERT_SHARED_DATA", REPO.parent / "shared" / "data"))
SCHEMES = ("none", "char", "jieba", "jieba_dict", "ltp", "ngram")
DOMAINS = ("legal", "reviews")
TASKS: Mapping[str, tuple[str, ...]] = {"legal": ("legal_branch",), "reviews": ("chnsenticorp", "waimai")}
USER_DICTS = {
    "legal": REPO / "zhbert_demo" / "data" / "legal_terms.txt",
    "reviews": REPO / "benchmarks" / "data" / "review_terms.txt",
}
DEFAULT_BASE = REPO / "zhbert_demo" / "models" / "mlm"
PRETRAIN_SEED = 0  # every scheme: the same seed, so the same blocks in the same order
DATA_SEED = 0  # subsamples of the corpora and tasks


@dataclass(frozen=True)
class StudyConfig:
    """The budgets of one study. The token budget of every pretraining run is ``pretrain_steps`` x
    ``batch_size`` x ``max_seq_length`` (less padding); ``*_examples`` 0 means all."""

    name: str
    pretrain_steps: int
    batch_size: int
    max_seq_length: int
    learning_rate: float
    warmup_steps: int
    eval_steps: int
    max_eval_samples: int
    corpus_chars: int
    cloze_chars: int
    train_examples: int
    dev_examples: int
    test_examples: int
    finetune_epochs: float
    finetune_max_seq_length: int
    finetune_learning_rate: float
    finetune_batch_size: int
    ltp_epochs: int
    max_ngram: int = 4


QUICK = StudyConfig("quick", pretrain_steps=200, batch_size=16, max_seq_length=64, learning_rate=3e-4,
                    warmup_steps=20, eval_steps=50, max_eval_samples=64, corpus_chars=400_000, cloze_chars=40_000,
                    train_examples=800, dev_examples=200, test_examples=500, finetune_epochs=1,
                    finetune_max_seq_length=96, finetune_learning_rate=3e-4, finetune_batch_size=32,
                    ltp_epochs=2)  # fmt: skip
FULL = StudyConfig("full", pretrain_steps=2000, batch_size=64, max_seq_length=128, learning_rate=3e-4,
                   warmup_steps=150, eval_steps=300, max_eval_samples=512, corpus_chars=0, cloze_chars=300_000,
                   train_examples=8000, dev_examples=1000, test_examples=0, finetune_epochs=2,
                   finetune_max_seq_length=128, finetune_learning_rate=2e-4, finetune_batch_size=32,
                   ltp_epochs=5)  # fmt: skip
SMOKE = StudyConfig("smoke", pretrain_steps=4, batch_size=4, max_seq_length=32, learning_rate=1e-3,
                    warmup_steps=0, eval_steps=2, max_eval_samples=2, corpus_chars=4_000, cloze_chars=1_000,
                    train_examples=24, dev_examples=12, test_examples=12, finetune_epochs=1,
                    finetune_max_seq_length=32, finetune_learning_rate=1e-3, finetune_batch_size=8,
                    ltp_epochs=1)  # fmt: skip
PRESETS = {"quick": QUICK, "full": FULL, "smoke": SMOKE}


def shown(path: Path) -> str:
    """``path`` relative to the repository where it lies inside it (as records and reports show it), else as given."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def settings(cfg: StudyConfig, base: Path) -> dict[str, Any]:
    """What a study's records depend on: its budgets and the base model (its path as given, its weights' hash)."""
    from zhbert.text.files import sha256_of_files

    digest = sha256_of_files(sorted(base.glob("*.safetensors")) + sorted(base.glob("*.bin")))
    return {"config": asdict(cfg), "base": shown(base), "base_weights_sha256": digest}
