"""Masked-language-model inputs: the whole-word-masking collator and a readable preview of one masking draw."""

from __future__ import annotations

from .collator import WholeWordMaskCollator, WordIdsDataset
from .preview import MaskPreview, PreviewWord, mask_preview

__all__ = ["MaskPreview", "PreviewWord", "WholeWordMaskCollator", "WordIdsDataset", "mask_preview"]
