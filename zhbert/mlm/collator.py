"""Whole-word masking collator: pads features from ``wwm_features`` and masks whole words, batch-vectorised.

    collator = WholeWordMaskCollator(tokenizer, mlm_probability=0.15, seed=0)
    batch = collator(wwm_features(lines, tokenizer, JiebaSegmenter()))
    loss = model(**batch).loss   # batch: input_ids, attention_mask, token_type_ids, labels

Selection: words (or runs of 1..n words with ``max_ngram > 1``, as in MacBERT) are drawn in random order until
``mlm_probability`` of the maskable tokens are covered; the word that crosses the budget is taken with the
probability that makes the expected masked fraction exactly ``mlm_probability``. Masked tokens become
``[MASK]`` (80%), a random token (10%) or stay unchanged (10%), drawn per token or per word.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..errors import UsageError
from ..text.word_ids import text_token_ids

__all__ = ["WholeWordMaskCollator", "WordIdsDataset"]

_MACBERT_NGRAM_WEIGHTS = (0.4, 0.3, 0.2, 0.1)


@dataclass
class WholeWordMaskCollator:
    """Pads ``wwm_features`` output and masks whole words for masked-language-model training.

    Args:
        tokenizer: supplies the pad, mask and special token ids and the vocabulary for random replacement.
        mlm_probability: expected fraction of maskable tokens to predict.
        mask_replace_prob: fraction of predicted tokens replaced by ``[MASK]``.
        random_replace_prob: fraction of predicted tokens replaced by a random token, drawn from the tokens that
            occur in text (``zhbert.text.text_token_ids``); the rest stay unchanged.
        max_ngram: mask runs of 1..``max_ngram`` consecutive words.
        ngram_weights: relative weight of each run length; defaults to MacBERT's 0.4/0.3/0.2/0.1 (cut to
            ``max_ngram`` and renormalised).
        pad_to_multiple_of: pad the sequence length up to a multiple of this.
        seed: seed of the collator's own random stream; ``None`` uses torch's global generator. DataLoader
            workers each get a distinct, reproducible stream. When every feature carries an integer ``idx``
            (its row in the dataset), the masking of a batch depends only on ``seed`` and those indices, so a
            run resumed from a checkpoint, or an evaluation repeated, sees exactly the same masks.
        replace_per_word: draw the [MASK] / random / unchanged choice once per masked word instead of per token.
        single_tokens: treat every token as a word of its own (token-level masking), whatever the word ids say;
            with ``mask_replace_prob=1`` this is the cloze test ``wwm-pretrain`` also evaluates.
    """

    tokenizer: Any
    mlm_probability: float = 0.15
    mask_replace_prob: float = 0.8
    random_replace_prob: float = 0.1
    max_ngram: int = 1
    ngram_weights: Sequence[float] | None = None
    pad_to_multiple_of: int | None = None
    seed: int | None = None
    replace_per_word: bool = False
    single_tokens: bool = False
    _generator: torch.Generator | None = field(default=None, init=False, repr=False, compare=False)
    _generator_owner: tuple[int, int] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.mlm_probability < 1.0:
            raise UsageError(f"mlm_probability must be in (0, 1), got {self.mlm_probability}")
        for name in ("mask_replace_prob", "random_replace_prob"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise UsageError(f"{name} must be in [0, 1], got {value}")
        if self.mask_replace_prob + self.random_replace_prob > 1.0 + 1e-9:
            raise UsageError(
                "mask_replace_prob + random_replace_prob must not exceed 1, got "
                f"{self.mask_replace_prob} + {self.random_replace_prob}"
            )
        if isinstance(self.max_ngram, bool) or not isinstance(self.max_ngram, int) or self.max_ngram < 1:
            raise UsageError(f"max_ngram must be an int >= 1, got {self.max_ngram!r}")
        if self.ngram_weights is None:
            if self.max_ngram > len(_MACBERT_NGRAM_WEIGHTS):
                raise UsageError(f"ngram_weights must be given when max_ngram > {len(_MACBERT_NGRAM_WEIGHTS)}")
            weights = list(_MACBERT_NGRAM_WEIGHTS[: self.max_ngram])
        else:
            weights = [float(w) for w in self.ngram_weights]
            if len(weights) != self.max_ngram:
                raise UsageError(f"ngram_weights needs {self.max_ngram} weights (one per n-gram), got {len(weights)}")
            if any(w < 0 for w in weights) or sum(weights) <= 0:
                raise UsageError(f"ngram_weights must be non-negative with a positive sum, got {weights}")
        self._ngram_weights = torch.tensor(weights, dtype=torch.float64) / sum(weights)
        if self.pad_to_multiple_of is not None and (
            not isinstance(self.pad_to_multiple_of, int) or self.pad_to_multiple_of < 1
        ):
            raise UsageError(f"pad_to_multiple_of must be a positive int, got {self.pad_to_multiple_of!r}")
        if self.seed is not None and not isinstance(self.seed, int):
            raise UsageError(f"seed must be an int or None, got {self.seed!r}")
        tok = self.tokenizer
        if getattr(tok, "mask_token_id", None) is None:
            raise UsageError("the tokenizer has no mask token; masked language modelling needs one")
        if getattr(tok, "pad_token_id", None) is None:
            raise UsageError("the tokenizer has no pad token")
        self._mask_id = int(tok.mask_token_id)
        self._pad_id = int(tok.pad_token_id)
        self._special_ids = torch.tensor(sorted(set(tok.all_special_ids)), dtype=torch.long)
        # Random replacements come from tokens that occur in text: no special tokens, no [unusedN], and none of
        # the ~7k ##-pieces of CJK characters, which the tokenizer never produces (docs/benchmarks.md measures it).
        self._random_ids = torch.tensor(text_token_ids(tok), dtype=torch.long)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_generator"] = None  # generators do not pickle; each process makes its own
        state["_generator_owner"] = None
        return state

    # -- randomness -------------------------------------------------------------------------------------

    def _rng(self, example_ids: Sequence[int] | None = None) -> torch.Generator | None:
        if self.seed is not None and example_ids is not None:
            digest = hashlib.blake2b(np.asarray([self.seed, *example_ids], dtype=np.int64).tobytes(), digest_size=8)
            return torch.Generator().manual_seed(int.from_bytes(digest.digest(), "little") & (2**63 - 1))
        if self.seed is None:
            return None  # torch's global generator: seeded by Trainer, and per worker by DataLoader
        info = torch.utils.data.get_worker_info()
        owner = (os.getpid(), -1 if info is None else info.id)
        if self._generator is None or self._generator_owner != owner:
            seed = self.seed if info is None else hash((self.seed, info.seed)) & (2**63 - 1)
            self._generator = torch.Generator().manual_seed(seed)
            self._generator_owner = owner
        return self._generator

    # -- padding ----------------------------------------------------------------------------------------

    def _pad(self, features: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        if not features:
            raise UsageError("cannot collate an empty batch")
        for i, feature in enumerate(features):
            if "word_ids" not in feature:
                raise UsageError(
                    f"feature {i} has no 'word_ids' (keys: {sorted(feature)}); build features with "
                    "zhbert.wwm_features. Under Trainer, wrap the dataset in zhbert.WordIdsDataset or set "
                    "TrainingArguments(remove_unused_columns=False) so the column is not dropped"
                )
            if len(feature["word_ids"]) != len(feature["input_ids"]):
                raise UsageError(
                    f"feature {i}: word_ids has {len(feature['word_ids'])} entries but input_ids has "
                    f"{len(feature['input_ids'])}"
                )
        lengths = [len(f["input_ids"]) for f in features]
        width = max(lengths)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        columns = {
            "input_ids": self._pad_id,
            "attention_mask": 0,
            "token_type_ids": 0,
            "word_ids": -1,
        }
        out = {}
        for name, fill in columns.items():
            array = np.full((len(features), width), fill, dtype=np.int64)
            for row, (feature, n) in enumerate(zip(features, lengths, strict=True)):
                values = feature.get(name)
                if values is None:
                    values = 1 if name == "attention_mask" else 0
                if left:
                    array[row, width - n :] = values
                else:
                    array[row, :n] = values
            out[name] = torch.from_numpy(array)
        return out

    # -- masking ----------------------------------------------------------------------------------------

    def mask_whole_words(
        self, input_ids: torch.Tensor, word_ids: torch.Tensor, example_ids: Sequence[int] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mask whole words of a padded batch; returns new ``(input_ids, labels)``, inputs untouched.

        With ``example_ids`` and a ``seed``, the draw depends only on the seed and those ids.
        """
        _check_word_ids(word_ids)
        gen = self._rng(example_ids)
        batch, width = input_ids.shape
        maskable = (word_ids >= 0) & ~torch.isin(input_ids, self._special_ids)  # (B, T)
        n_words = int(word_ids.max().item()) + 1 if word_ids.numel() else 0
        if n_words <= 0:
            return input_ids.clone(), torch.full_like(input_ids, -100)

        # Units: single words, or runs of 1..n consecutive words (n drawn per run).
        if self.max_ngram == 1:
            token_unit = word_ids.clamp(min=0)  # (B, T)
        else:
            run = torch.multinomial(self._ngram_weights, batch * n_words, replacement=True, generator=gen)
            run_ends = (run.view(batch, n_words) + 1).cumsum(dim=1)  # (B, W) exclusive end word of each run
            word_run = torch.searchsorted(
                run_ends, torch.arange(n_words).expand(batch, n_words).contiguous(), right=True
            )  # (B, W)
            token_unit = word_run.gather(1, word_ids.clamp(min=0))
        n_units = n_words
        unit_size = torch.zeros(batch, n_units, dtype=torch.float64)
        unit_size.scatter_add_(1, token_unit, maskable.to(torch.float64))  # (B, U) maskable tokens per unit

        # Units in random order; take them while the budget lasts.
        keys = torch.rand(batch, n_units, generator=gen, dtype=torch.float64)
        keys.masked_fill_(unit_size == 0, 2.0)
        order = keys.argsort(dim=1)
        size_sorted = unit_size.gather(1, order)
        taken_after = size_sorted.cumsum(dim=1)
        taken_before = taken_after - size_sorted
        budget = self.mlm_probability * maskable.sum(dim=1, keepdim=True).to(torch.float64)  # (B, 1)
        crossing = (taken_before < budget) & (taken_after > budget)
        p_cross = ((budget - taken_before) / size_sorted.clamp(min=1.0)).clamp(0.0, 1.0)
        chosen_sorted = (size_sorted > 0) & (
            (taken_after <= budget)
            | (crossing & (torch.rand(p_cross.shape, generator=gen, dtype=torch.float64) < p_cross))
        )
        chosen = torch.zeros_like(chosen_sorted).scatter_(1, order, chosen_sorted)
        masked = maskable & chosen.gather(1, token_unit)  # (B, T)

        # What each masked token becomes.
        if self.replace_per_word:
            draw = torch.rand(batch, n_units, generator=gen).gather(1, token_unit)
        else:
            draw = torch.rand(batch, width, generator=gen)
        to_mask = masked & (draw < self.mask_replace_prob)
        to_random = (
            masked & (draw >= self.mask_replace_prob) & (draw < self.mask_replace_prob + self.random_replace_prob)
        )

        labels = torch.where(masked, input_ids, torch.full_like(input_ids, -100))
        new_ids = input_ids.masked_fill(to_mask, self._mask_id)
        n_random = int(to_random.sum().item())
        if n_random:
            picks = torch.randint(len(self._random_ids), (n_random,), generator=gen)
            new_ids[to_random] = self._random_ids[picks]
        return new_ids, labels

    def __call__(self, features: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        padded = self._pad(features)
        example_ids = [int(f["idx"]) for f in features] if all("idx" in f for f in features) else None
        word_ids = padded["word_ids"]
        if self.single_tokens:
            real = word_ids >= 0  # (B, T)
            word_ids = torch.where(real, real.long().cumsum(dim=1) - 1, -1)  # each token its own word
        input_ids, labels = self.mask_whole_words(padded["input_ids"], word_ids, example_ids)
        return {
            "input_ids": input_ids,
            "attention_mask": padded["attention_mask"],
            "token_type_ids": padded["token_type_ids"],
            "labels": labels,
        }


def _check_word_ids(word_ids: torch.Tensor) -> None:
    """Word ids are -1 (no word) or word numbers counting from 0 that never decrease along a row, each below the
    row's width (a row of T tokens holds at most T words). Anything else is refused before it sizes a tensor."""
    if not word_ids.numel():
        return
    problems = [
        (word_ids < -1, "a word id below -1 (-1 marks tokens outside every word)"),
        ((word_ids >= 0) & (word_ids < word_ids.cummax(dim=1).values), "word ids that decrease along the row"),
        (word_ids >= word_ids.shape[1], f"a word id of {word_ids.shape[1]} or more, in a row of {word_ids.shape[1]}"),
    ]
    for bad, what in problems:
        rows = bad.any(dim=1).nonzero().flatten().tolist()
        if rows:
            raise UsageError(f"feature {rows[0]} has {what}; word ids count the words of a text from 0")


class _Feature(Mapping[str, Any]):
    """A read-only feature. Trainer drops unknown keys only from plain dicts, so ``word_ids`` survives."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class WordIdsDataset(torch.utils.data.Dataset):
    """Wraps features (a list or a ``datasets.Dataset``) so that ``Trainer`` keeps their ``word_ids``.

    ``Trainer`` removes dataset columns its model's ``forward`` does not take, ``word_ids`` among them; items
    of this dataset pass through untouched, so ``Trainer(data_collator=WholeWordMaskCollator(...))`` works
    with the default ``remove_unused_columns=True``.
    """

    def __init__(self, features: Any) -> None:
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> Mapping[str, Any]:
        return _Feature(self.features[index])
