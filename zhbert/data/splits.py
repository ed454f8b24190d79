"""Held-out splits cut from one file: a fixed shuffle by seed, then test, dev and train in that order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

from ..errors import UsageError

__all__ = ["split_examples"]

T = TypeVar("T")


def split_examples(
    items: Sequence[T], dev_percent: float = 0.0, test_percent: float = 0.0, seed: int = 42
) -> tuple[list[T], list[T], list[T]]:
    """``(train, dev, test)``: ``test_percent`` and ``dev_percent`` % of ``items`` held out after a shuffle by
    ``seed`` (rounded to whole items); the same items and seed always give the same split.

    Raises:
        UsageError: a percentage outside [0, 100], or together over 100.
    """
    for name, value in (("dev_percent", dev_percent), ("test_percent", test_percent)):
        if not 0 <= value <= 100:
            raise UsageError(f"{name} must lie in [0, 100], got {value}", argument=name)
    if dev_percent + test_percent > 100:
        raise UsageError(f"dev_percent + test_percent is {dev_percent + test_percent}, over 100")
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    n_test = round(len(items) * test_percent / 100)
    n_dev = round(len(items) * dev_percent / 100)
    test = [items[i] for i in order[:n_test]]
    dev = [items[i] for i in order[n_test : n_test + n_dev]]
    train = [items[i] for i in order[n_test + n_dev :]]
    return train, dev, test
