"""Top-k candidates for each ``[MASK]`` in a text, from a masked-language model (``wwm-pretrain`` output).

>>> filler = MaskFiller.from_pretrained("runs/law-bert")
>>> filler.predict(["中华人民共和国[MASK]法"], top_k=3)[0][0]
[Candidate(token='刑', score=0.41, text='中华人民共和国刑法'), ...]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..errors import UsageError
from ..models.loading import check_architecture, load_pretrained
from ..text.checks import check_int, check_texts
from ..text.word_ids import text_token_ids
from .predictor import Predictor

__all__ = ["Candidate", "MaskFiller"]


@dataclass(frozen=True)
class Candidate:
    """One filler for one ``[MASK]``: the token, its probability, and the text with the token put in."""

    token: str
    score: float
    text: str


class MaskFiller(Predictor):
    """``predict`` returns, per text, one list of ``top_k`` candidates per ``[MASK]``, left to right.

    ``dtype`` (``"bf16"``, ``"float32"`` or a torch dtype) casts the model's weights; ``None`` picks bf16 on a CPU
    with bf16 instructions or a GPU that supports it, float32 elsewhere (``zhbert.models.precision``).
    """

    def __init__(self, model: Any, tokenizer: Any, device: str | torch.device | None = None, dtype: Any = None) -> None:
        super().__init__(model, tokenizer, device, dtype)
        self.mask_token = str(tokenizer.mask_token)
        # Candidates are tokens that occur in text: no [unusedN], special tokens or ##-pieces of CJK characters.
        self.candidates = torch.zeros(model.config.vocab_size, dtype=torch.bool, device=self.device)
        self.candidates[[i for i in text_token_ids(tokenizer) if i < model.config.vocab_size]] = True

    export_kind = "masked-lm"

    @classmethod
    def load_model(cls, path: str | os.PathLike[str]) -> Any:
        from transformers import AutoModelForMaskedLM

        check_architecture(path, ("ForMaskedLM", "ForPreTraining"), "a masked-language model (wwm-pretrain)")
        return load_pretrained(AutoModelForMaskedLM, path)

    def predict(self, texts: Sequence[str], top_k: int = 5) -> list[list[list[Candidate]]]:
        """Fill each ``[MASK]`` of each text independently (the other masks stay masked).

        Raises:
            ValueError: a text is empty or only whitespace, has no ``[MASK]``, or its ``[MASK]`` lies beyond the
                model's window.
        """
        items = check_texts(texts, nonempty=True)
        check_int(top_k, "top_k", 1)
        mask_id = self.tokenizer.mask_token_id
        out: list[list[list[Candidate]]] = []
        with torch.inference_mode():
            for i, text in enumerate(items):
                if self.mask_token not in text:
                    raise UsageError(f"texts[{i}] has no {self.mask_token}: put it where a word is missing")
                enc = self.tokenizer(
                    text, truncation=True, max_length=self.max_length, return_offsets_mapping=True, return_tensors="pt"
                )
                offsets = enc.pop("offset_mapping")[0].tolist()
                ids = enc["input_ids"][0]
                positions = (ids == mask_id).nonzero().flatten().tolist()
                if len(positions) != text.count(self.mask_token):
                    raise UsageError(
                        f"texts[{i}]: a {self.mask_token} lies beyond the model's window of {self.max_length} tokens"
                    )
                logits = self.model(**enc.to(self.device)).logits[0].float()  # (T, V)
                logits = logits.masked_fill(~self.candidates[: logits.shape[-1]], float("-inf"))
                k = min(top_k, int(self.candidates.sum()))
                per_mask = []
                for p in positions:
                    probs = logits[p].softmax(-1)
                    scores, token_ids = probs.topk(k)
                    start, end = offsets[p]
                    candidates = []
                    for score, token_id in zip(scores.tolist(), token_ids.tolist(), strict=True):
                        token = self.tokenizer.convert_ids_to_tokens(token_id)
                        shown = token[2:] if token.startswith("##") else token
                        candidates.append(Candidate(token, score, text[:start] + shown + text[end:]))
                    per_mask.append(candidates)
                out.append(per_mask)
        return out
