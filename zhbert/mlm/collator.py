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

import functools
import hashlib
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import torch

from ..errors import UsageError
from ..text.word_ids import text_token_ids
from .masking import choose_units, ngram_runs, word_positions

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
    _generator: np.random.Generator | None = field(default=None, init=False, repr=False, compare=False)
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
        self._ngram_cum = np.cumsum(weights) / sum(weights)
        self._ngram_cum[-1] = np.inf  # every draw below 1 lands on a length
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
        special = sorted({int(i) for i in tok.all_special_ids})
        # special[id] for every id up to the largest special one; larger ids read the last entry (False).
        self._special = np.zeros(special[-1] + 2 if special else 1, dtype=bool)
        self._special[special] = True
        # Random replacements come from tokens that occur in text: no special tokens, no [unusedN], and none of
        # the ~7k ##-pieces of CJK characters, which the tokenizer never produces (docs/benchmarks.md measures it).
        self._random_ids = np.asarray(text_token_ids(tok), dtype=np.int64)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_generator"] = None  # each process makes its own stream
        state["_generator_owner"] = None
        return state

    # -- randomness -------------------------------------------------------------------------------------

    def _rng(self, example_ids: Sequence[int] | None = None) -> np.random.Generator:
        if self.seed is not None and example_ids is not None:
            digest = hashlib.blake2b(np.asarray([self.seed, *example_ids], dtype=np.int64).tobytes(), digest_size=8)
            return np.random.default_rng(int.from_bytes(digest.digest(), "little"))
        if self.seed is None:
            # torch's global generator, seeded by Trainer and per worker by DataLoader, seeds each batch's stream.
            return np.random.default_rng(int(torch.randint(2**63 - 1, (1,)).item()))
        info = torch.utils.data.get_worker_info()
        owner = (os.getpid(), -1 if info is None else info.id)
        if self._generator is None or self._generator_owner != owner:
            seed = self.seed if info is None else hash((self.seed, info.seed)) & (2**63 - 1)
            self._generator = np.random.default_rng(seed & (2**64 - 1))
            self._generator_owner = owner
        return self._generator

    # -- padding ----------------------------------------------------------------------------------------

    def _pad(self, features: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        """The padded columns and ``word_ids`` (-1 in padding), as tensors."""
        padded, _ = self._pad_arrays(features)
        return {name: torch.from_numpy(array) for name, array in padded.items()}

    def _pad_arrays(self, features: Sequence[Mapping[str, Any]]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        if not features:
            raise UsageError("cannot collate an empty batch")
        ids = [f["input_ids"] for f in features]
        words: list[Any] = [f.get("word_ids") for f in features]
        lengths_list = list(map(len, ids))
        if any(w is None for w in words) or list(map(len, words)) != lengths_list:
            _explain_word_ids_column(features)
        lengths = np.array(lengths_list, dtype=np.int64)  # (B,)
        width = max(lengths_list)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        if getattr(self.tokenizer, "padding_side", "right") == "left":
            inside = np.arange(width) >= width - lengths[:, None]  # (B, T)
        else:
            inside = np.arange(width) < lengths[:, None]  # (B, T)
        total = sum(lengths_list)
        # input_ids and word_ids: packed from one flat list (a 2-D boolean scatter each: NumPy's 3-D one is 10x
        # slower).
        flat = _concatenate(ids + words, 2 * total)
        padded = {}
        for name, fill, values in (("input_ids", self._pad_id, flat[:total]), ("word_ids", -1, flat[total:])):
            padded[name] = array = np.empty(inside.shape, dtype=np.int64)
            array.fill(fill)
            array[inside] = values
        for name, rows, fill, default in (
            ("attention_mask", [f.get("attention_mask") for f in features], 0, 1),
            ("token_type_ids", [f.get("token_type_ids") for f in features], 0, 0),
        ):
            if _all_equal(rows, default, total):
                # A column left out, or all ones / all zeros: nothing to read.
                padded[name] = inside.astype(np.int64) if default else np.zeros(inside.shape, dtype=np.int64)
                continue
            rows = [[default] * n if row is None else row for row, n in zip(rows, lengths_list, strict=True)]
            padded[name] = array = np.empty(inside.shape, dtype=np.int64)
            array.fill(fill)
            array[inside] = _concatenate(rows, total)
        return padded, lengths

    # -- masking ----------------------------------------------------------------------------------------

    def mask_whole_words(
        self, input_ids: torch.Tensor, word_ids: torch.Tensor, example_ids: Sequence[int] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mask whole words of a padded batch; returns new ``(input_ids, labels)``, inputs untouched.

        With ``example_ids`` and a ``seed``, the draw depends only on the seed and those ids.
        """
        ids = np.asarray(input_ids, dtype=np.int64)
        words = np.asarray(word_ids, dtype=np.int64)
        lengths = np.full(ids.shape[0], ids.shape[1], dtype=np.int64)
        new_ids = ids.copy()
        labels = self._mask(new_ids, words, lengths, self._rng(example_ids))
        return torch.from_numpy(new_ids), torch.from_numpy(labels)

    def _mask(self, ids: np.ndarray, word_ids: np.ndarray, lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Mask (B, T) ``ids`` in place by their word ids; returns the (B, T) labels (-100 where nothing is
        predicted)."""
        words, positions, units = word_positions(word_ids, lengths)  # (B,), (K,), (K,)
        token_ids = ids.ravel()[positions]  # (K,)
        maskable = ~self._special.take(token_ids, mode="clip")  # (K,) ids past the table read False
        # Units: single words, or runs of 1..n consecutive words (n drawn per run).
        if self.max_ngram == 1:
            unit_rows = np.arange(words.size).repeat(words)
        else:
            run_of_word, unit_rows = ngram_runs(words, self._ngram_cum, rng)
            units = run_of_word[units]
        size = np.bincount(units[maskable], minlength=unit_rows.size)  # (U,) maskable tokens per unit
        chosen = choose_units(size, unit_rows, self.mlm_probability, rng)
        hit = (maskable & chosen[units]).nonzero()[0]  # (M,) masked tokens among the K
        masked = positions[hit]  # (M,) their flat index into (B, T)

        labels = np.empty(ids.shape, dtype=np.int64)
        labels.fill(-100)
        labels.ravel()[masked] = targets = token_ids[hit]
        # What each masked token becomes: [MASK], a random token, or itself.
        # One draw per masked token: which replacement, and (scaled) which random token.
        uniform = rng.random(2 * masked.size)
        draw = rng.random(unit_rows.size)[units[hit]] if self.replace_per_word else uniform[: masked.size]
        random_ids = self._random_ids[(uniform[masked.size :] * self._random_ids.size).astype(np.int64)]
        kept = np.where(draw < self.mask_replace_prob + self.random_replace_prob, random_ids, targets)
        ids.ravel()[masked] = np.where(draw < self.mask_replace_prob, self._mask_id, kept)
        return labels

    def __call__(self, features: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        padded, lengths = self._pad_arrays(features)
        example_ids = [int(f["idx"]) for f in features] if all("idx" in f for f in features) else None
        word_ids = padded["word_ids"]
        if self.single_tokens:
            real = word_ids >= 0  # (B, T)
            word_ids = np.where(real, real.cumsum(axis=1) - 1, -1)  # each token its own word
        input_ids = padded["input_ids"]  # made here: masked in place
        labels = self._mask(input_ids, word_ids, lengths, self._rng(example_ids))
        return {
            "input_ids": torch.from_numpy(input_ids),
            "attention_mask": torch.from_numpy(padded["attention_mask"]),
            "token_type_ids": torch.from_numpy(padded["token_type_ids"]),
            "labels": torch.from_numpy(labels),
        }


def _explain_word_ids_column(features: Sequence[Mapping[str, Any]]) -> None:
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


def _all_equal(rows: list[Any], value: int, total: int) -> bool:
    """Whether every row holds only ``value`` (a missing row, None, counts as such)."""
    try:
        return sum(map(list.count, rows, repeat(value))) == total  # lists: one C loop over the batch
    except TypeError:  # not all lists: missing rows, tuples, arrays
        return all(row is None or bool((np.asarray(row) == value).all()) for row in rows)


# A compiled format per length: `struct.pack(format, *flat)` copies its thousands of arguments once more.
_int64s = functools.lru_cache(maxsize=1024)(struct.Struct)


def _concatenate(rows: Sequence[Any], total: int) -> np.ndarray:
    """Rows of ints laid end to end, as int64: one pack of a flat list, twice as fast as ``np.fromiter``."""
    flat: list[Any] = []
    extend = flat.extend  # not `+=`, which NumPy would take for an array addition
    for row in rows:
        extend(row)
    try:
        return np.frombuffer(_int64s(f"{total}q").pack(*flat), dtype=np.int64)
    except (struct.error, TypeError):  # not plain ints, or past int64: NumPy converts them, or says why not
        return np.asarray(flat, dtype=np.int64)


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
