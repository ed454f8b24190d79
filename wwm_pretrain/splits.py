"""What pretraining and its evaluations hold out, in one place: the split of a labelled set (10% dev, 10% test,
seed 42, as ``zhbert train --validation_split_percentage 10 --test_split_percentage 10 --split_seed 42`` makes
it), when two texts count as one (``squash``), which law a legal document belongs to (``law_key``), and the
laws the base model never saw (``heldout_laws``).

The demo's base corpus and the whole-word-masking study both split their data with these.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

__all__ = [
    "DEV_PERCENT",
    "HELDOUT_LAW_PERCENT",
    "HELDOUT_LAW_SEED",
    "SPLIT_SEED",
    "TEST_PERCENT",
    "heldout_laws",
    "law_key",
    "squash",
]

DEV_PERCENT, TEST_PERCENT, SPLIT_SEED = 10.0, 10.0, 42
HELDOUT_LAW_PERCENT = 3.0
HELDOUT_LAW_SEED = 0

_DATE = re.compile(r"[（(]\s*\d{4}(?:-\d{1,2}){0,2}\s*[)）]")


def squash(text: str) -> str:
    """``text`` without whitespace or U+FEFF (a byte-order mark inside a text, as 20 reviews of
    online_shopping_10_cats have): the form in which a training text counts as equal to a held-out one."""
    return "".join(text.replace("\ufeff", "").split())


def law_key(source: str) -> str:
    """The law a document of the legal corpus belongs to: its file name without folder, dates and amendment
    numbers, so ``刑法/刑法修正案（七）.md`` and ``刑法/刑法修正案.md`` are one law."""
    name = source.rsplit("/", 1)[-1].removesuffix(".md")
    name = _DATE.sub("", name)
    name = re.sub(r"[（(][一二三四五六七八九十百]+[)）]$", "", name.strip())
    return name.strip()


def heldout_laws(laws: Iterable[str]) -> set[str]:
    """The laws (``law_key`` values) the demo's base model holds out of its pretraining: ``HELDOUT_LAW_PERCENT``
    of them (at least one), drawn with ``HELDOUT_LAW_SEED``."""
    ordered = sorted(set(laws))
    count = max(1, round(len(ordered) * HELDOUT_LAW_PERCENT / 100))
    return set(random.Random(HELDOUT_LAW_SEED).sample(ordered, count))
