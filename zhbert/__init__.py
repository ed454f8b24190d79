"""zhbert: Chinese BERT made practical.

Whole-word-masking continued pretraining driven by jieba or LTP, fine-tuned classification and BIOES NER
heads, and a Python API. Names are imported on first use, so ``import zhbert`` loads no model and no torch;
type checkers see them all, through the ``TYPE_CHECKING`` imports below (the package ships ``py.typed``).

The subpackages follow the data flow, each importing only those before it: ``text`` (segmenters, word ids) ->
``terms`` (term discovery), ``mlm`` (whole-word masking) and ``tagging`` (tag schemes, Viterbi, CRF) ->
``data`` (file readers) -> ``models`` (heads, fast forward) -> ``api`` (TextClassifier, EntityTagger,
MaskFiller) -> ``finetune`` -> ``cli``; ``errors`` and ``resources`` sit beneath them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_attributes

# What a type checker sees, re-exported through the literal ``__all__`` (also under mypy --strict); at run time
# ``__getattr__`` below imports each name on its first use.
if TYPE_CHECKING:
    from .api import (
        AttentionMap,
        Candidate,
        Classification,
        Entity,
        EntityTagger,
        MaskFiller,
        TextClassifier,
        attention_maps,
    )
    from .errors import ZhbertError
    from .mlm import WholeWordMaskCollator, WordIdsDataset, mask_preview
    from .terms import Term, discover_terms, write_user_dict
    from .text import (
        CharSegmenter,
        JiebaSegmenter,
        LtpSegmenter,
        Segmenter,
        chinese_ref_from_word_ids,
        get_segmenter,
        read_chinese_ref,
        read_user_dict,
        word_ids_from_chinese_ref,
        write_chinese_ref,
        wwm_features,
    )

__version__ = "0.1.0"

_EXPORTS = {
    "ZhbertError": "zhbert.errors",
    "Segmenter": "zhbert.text",
    "JiebaSegmenter": "zhbert.text",
    "LtpSegmenter": "zhbert.text",
    "CharSegmenter": "zhbert.text",
    "get_segmenter": "zhbert.text",
    "read_user_dict": "zhbert.text",
    "wwm_features": "zhbert.text",
    "read_chinese_ref": "zhbert.text",
    "write_chinese_ref": "zhbert.text",
    "chinese_ref_from_word_ids": "zhbert.text",
    "word_ids_from_chinese_ref": "zhbert.text",
    "Term": "zhbert.terms",
    "discover_terms": "zhbert.terms",
    "write_user_dict": "zhbert.terms",
    "WholeWordMaskCollator": "zhbert.mlm",
    "WordIdsDataset": "zhbert.mlm",
    "mask_preview": "zhbert.mlm",
    "TextClassifier": "zhbert.api",
    "EntityTagger": "zhbert.api",
    "MaskFiller": "zhbert.api",
    "Classification": "zhbert.api",
    "Entity": "zhbert.api",
    "Candidate": "zhbert.api",
    "AttentionMap": "zhbert.api",
    "attention_maps": "zhbert.api",
}

__all__ = [
    "AttentionMap",
    "Candidate",
    "CharSegmenter",
    "Classification",
    "Entity",
    "EntityTagger",
    "JiebaSegmenter",
    "LtpSegmenter",
    "MaskFiller",
    "Segmenter",
    "Term",
    "TextClassifier",
    "WholeWordMaskCollator",
    "WordIdsDataset",
    "ZhbertError",
    "__version__",
    "attention_maps",
    "chinese_ref_from_word_ids",
    "discover_terms",
    "get_segmenter",
    "mask_preview",
    "read_chinese_ref",
    "read_user_dict",
    "word_ids_from_chinese_ref",
    "write_chinese_ref",
    "write_user_dict",
    "wwm_features",
]


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)
