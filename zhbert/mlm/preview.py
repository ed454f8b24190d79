"""One whole-word masking draw on a text, laid out for people: which words were masked and what replaced them.

python -m zhbert preview "中华人民共和国刑法规定" --segmenter jieba --seed 0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..text.segmenters import Segmenter
from ..text.word_ids import wwm_features
from .collator import WholeWordMaskCollator

__all__ = ["MaskPreview", "PreviewWord", "mask_preview"]


@dataclass(frozen=True)
class PreviewWord:
    """One segmenter word as the model sees it: ``text == original[start:end]``."""

    text: str
    start: int
    end: int
    masked: bool
    user_word: bool
    replaced_by: tuple[str, ...]  # the tokens the model gets in its place ("[MASK]", a random token, or itself)


@dataclass(frozen=True)
class MaskPreview:
    text: str
    words: tuple[PreviewWord, ...]
    masked_input: str  # the model's input with masked words replaced, tokens joined

    def render(self) -> str:
        """Words separated by " / ", masked words in 【】."""
        shown = [f"【{w.text}】" if w.masked else w.text for w in self.words]
        return " / ".join(shown)


def mask_preview(
    text: str,
    tokenizer: Any,
    segmenter: Segmenter,
    seed: int = 0,
    mlm_probability: float = 0.15,
    max_ngram: int = 1,
    max_length: int = 512,
) -> MaskPreview:
    """Segment ``text``, draw one whole-word masking with ``seed``, and report it word by word."""
    feature = wwm_features([text], tokenizer, segmenter, max_length=max_length)[0]
    collator = WholeWordMaskCollator(tokenizer, mlm_probability=mlm_probability, max_ngram=max_ngram, seed=seed)
    input_ids = torch.tensor([feature["input_ids"]])
    word_ids = torch.tensor([feature["word_ids"]])
    masked_ids, labels = collator.mask_whole_words(input_ids, word_ids)
    enc = tokenizer([text], truncation=True, max_length=max_length, return_offsets_mapping=True)
    offsets = enc["offset_mapping"][0]
    tokens = tokenizer.convert_ids_to_tokens(masked_ids[0].tolist())
    user = segmenter.user_words()
    spans: dict[int, list[int]] = {}
    for t, w in enumerate(feature["word_ids"]):
        if w >= 0:
            spans.setdefault(w, []).append(t)
    words = []
    for w in sorted(spans):
        idx = spans[w]
        start, end = offsets[idx[0]][0], offsets[idx[-1]][1]
        piece = text[start:end]
        words.append(
            PreviewWord(
                text=piece,
                start=start,
                end=end,
                masked=bool((labels[0, idx] != -100).any()),
                user_word=piece in user,
                replaced_by=tuple(tokens[t] for t in idx),
            )
        )
    shown = [("".join(w.replaced_by) if w.masked else w.text) for w in words]
    return MaskPreview(text=text, words=tuple(words), masked_input=" ".join(shown))
