"""Class weights in the classification loss: ``class_weight="balanced"`` or explicit ``"pos=1,neg=2.5"``.

``balanced`` is scikit-learn's rule, ``n_samples / (n_classes * count)``: each class then carries the same total
weight in an epoch, so a rare class's mistakes cost as much as a common one's. Explicit pairs set the weights of
the labels they name; the others keep 1 (as scikit-learn's dict does).

The loss is the weighted mean of PyTorch's ``CrossEntropyLoss(weight=...)``: ``sum_i w[y_i] * nll_i /
sum_i w[y_i]`` over a batch. A soft label (a distribution ``p`` over the labels) weighs ``p_c * w[c]`` on each
label's log-probability and counts ``sum_c p_c * w[c]`` in the denominator, so a one-hot row trains exactly as
the hard label would; ``balanced`` counts each class by the probability mass the training rows give it.

NER is refused: a CRF scores whole tag sequences, so a per-tag weight has no place in its loss, and weighting
the B-, I-, E- and S- tags of one type apart would count the pieces of one entity unequally.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..data.classification import ClsExample
from ..errors import DataError, UsageError

__all__ = ["CONFIG_KEY", "check_resumed", "check_task", "class_weights", "describe", "parse_class_weight", "record"]

CONFIG_KEY = "zhbert_class_weight"  # in config.json: {label: weight}, or absent for an unweighted loss


def parse_class_weight(spec: str) -> str | dict[str, float]:
    """``"none"``, ``"balanced"``, or the ``{label: weight}`` of ``"label=weight,label=weight"``.

    Raises:
        UsageError: a pair without ``=``, a label given twice, or a weight that is not a positive finite number.
    """
    spec = spec.strip()
    if spec in ("none", "balanced"):
        return spec
    weights: dict[str, float] = {}
    for pair in spec.split(","):
        label, eq, value = pair.rpartition("=")
        label = label.strip()
        if not eq or not label:
            raise UsageError(
                f"class_weight must be none, balanced or label=weight pairs separated by commas, got {spec!r}",
                argument="class_weight",
            )
        try:
            weight = float(value)
        except ValueError:
            weight = math.nan
        if not (math.isfinite(weight) and weight > 0):
            raise UsageError(
                f"class_weight of {label!r} must be a positive number, got {value.strip()!r}", argument="class_weight"
            )
        if label in weights:
            raise UsageError(f"class_weight names {label!r} twice", argument="class_weight")
        weights[label] = weight
    return weights


def check_task(task: str, spec: str) -> None:
    """Refuse class weights for a task other than classification.

    Raises:
        UsageError: ``spec`` is not ``"none"`` and ``task`` is not ``"classify"``.
    """
    if task != "classify" and parse_class_weight(spec) != "none":
        raise UsageError(
            f"class_weight is for classification, not {task}: a CRF scores whole tag sequences, and weights on "
            "single tags would count the pieces of one entity unequally",
            argument="class_weight",
        )


def _mass(examples: Sequence[ClsExample], labels: Sequence[str]) -> list[float]:
    """How many training rows each label has; a soft label adds its probability to each label."""
    index = {label: i for i, label in enumerate(labels)}
    mass = [0.0] * len(labels)
    for e in examples:
        for name, p in e.label_probs or ((e.label, 1.0),):
            mass[index[name]] += p
    return mass


def class_weights(spec: str, train: Sequence[ClsExample], labels: Sequence[str]) -> list[float] | None:
    """The weight of each of ``labels`` (in id order) for ``spec`` on these training rows; None for ``"none"``.

    Raises:
        UsageError: a label the training data lacks, or fewer than two labels.
        DataError: ``balanced`` with a label no training row gives any probability to.
    """
    parsed = parse_class_weight(spec)
    if parsed == "none":
        return None
    if len(labels) < 2:
        raise UsageError(f"class_weight needs two labels or more; the training data has {list(labels)}",
                         argument="class_weight")  # fmt: skip
    if isinstance(parsed, dict):
        unknown = [label for label in parsed if label not in labels]
        if unknown:
            raise UsageError(
                f"class_weight names {unknown[0]!r}, which is not among the training labels {list(labels)}",
                argument="class_weight",
            )
        return [parsed.get(label, 1.0) for label in labels]
    mass = _mass(train, labels)
    empty = [label for label, m in zip(labels, mass, strict=True) if m <= 0]
    if empty:
        raise DataError(f"balanced class weights: no training row gives label {empty[0]!r} any probability")
    total = sum(mass)
    return [total / (len(labels) * m) for m in mass]


def describe(weights: Sequence[float], labels: Sequence[str], spec: str | None = None) -> str:
    """``"balanced: 负面 0.7143, 正面 1.6667"``: the weights as the log and the model card show them."""
    shown = ", ".join(f"{label} {w:.4g}" for label, w in zip(labels, weights, strict=True))
    if spec is None:
        return shown
    return f"{'balanced' if parse_class_weight(spec) == 'balanced' else 'given'}: {shown}"


def record(config: Any, weights: Sequence[float] | None, labels: Sequence[str]) -> None:
    """Keep the weights in a model's config (so every checkpoint says what it trained with), or drop the record a
    weighted base model brought along."""
    if weights is not None:
        config.update({CONFIG_KEY: dict(zip(labels, weights, strict=True))})
    elif hasattr(config, CONFIG_KEY):
        delattr(config, CONFIG_KEY)


def check_resumed(checkpoint: str | Path, weights: Sequence[float] | None, labels: Sequence[str]) -> None:
    """Refuse to resume ``checkpoint`` with other class weights than the ones its run trained with.

    Raises:
        UsageError: the checkpoint's ``config.json`` records other weights (or none, where these have some).
    """
    config = Path(checkpoint) / "config.json"
    if not config.is_file():
        return  # transformers reports a checkpoint it cannot read
    saved = json.loads(config.read_text(encoding="utf-8")).get(CONFIG_KEY)
    wanted = dict(zip(labels, weights, strict=True)) if weights is not None else None
    if saved is None or wanted is None:
        same = saved is None and wanted is None
    else:
        same = saved.keys() == wanted.keys() and all(math.isclose(saved[k], wanted[k]) for k in wanted)
    if not same:
        had = describe(list(saved.values()), list(saved)) if saved else "none"
        asked = describe(list(wanted.values()), list(wanted)) if wanted else "none"
        raise UsageError(
            f"{checkpoint} was trained with class weights {had}, not {asked}: resume with the class_weight of its run",
            argument="class_weight",
        )
