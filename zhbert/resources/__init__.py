"""Files shipped with zhbert: the bert-base-chinese vocabulary and config (Apache-2.0, Google BERT release), and
the small data sets the demo's default models are trained on (``demo/README.md`` gives their sources)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["BERT_BASE_CHINESE_DIR", "DEMO_DATA_DIR"]

BERT_BASE_CHINESE_DIR = Path(__file__).resolve().parent / "bert-base-chinese"
DEMO_DATA_DIR = Path(__file__).resolve().parent / "demo"
