"""zhbert: Chinese BERT made practical.

Whole-word-masking continued pretraining driven by jieba or LTP, fine-tuned classification and BIOES NER
heads, and a Python API. Names are imported on first use, so ``import zhbert`` loads no model and no torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Segmenter": "zhbert.segment",
    "JiebaSegmenter": "zhbert.segment",
    "LtpSegmenter": "zhbert.segment",
    "CharSegmenter": "zhbert.segment",
    "get_segmenter": "zhbert.segment",
    "read_user_dict": "zhbert.segment",
    "wwm_features": "zhbert.align",
    "read_chinese_ref": "zhbert.align",
    "write_chinese_ref": "zhbert.align",
    "chinese_ref_from_word_ids": "zhbert.align",
    "word_ids_from_chinese_ref": "zhbert.align",
    "WholeWordMaskCollator": "zhbert.collator",
    "WordIdsDataset": "zhbert.collator",
    "TextClassifier": "zhbert.inference",
    "EntityTagger": "zhbert.inference",
    "Classification": "zhbert.inference",
    "Entity": "zhbert.inference",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zhbert' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
