"""Files shipped with zhbert: the bert-base-chinese vocabulary and config (Apache-2.0, Google BERT release)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["BERT_BASE_CHINESE_DIR"]

BERT_BASE_CHINESE_DIR = Path(__file__).resolve().parent / "bert-base-chinese"
