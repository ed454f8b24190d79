"""Out-of-fold probabilities for the label-error search (``zhbert evaluate --report DIR --cv K``).

The evaluated file is cut into ``K`` folds (classification: stratified by label); for each fold a model is
fine-tuned with ``zhbert.finetune.finetune`` on the other ``K - 1`` from ``base`` and predicts the fold it never
saw. The base is the one the user names (``--cv_base``), else the checkpoint the model card records
(``fine-tuned with zhbert from `...` ``) when that folder exists here. The fold models are trained with the
task options of the evaluated model (its CRF, its ``zhbert_max_length``) and are deleted afterwards.
"""

from __future__ import annotations

import csv
import random
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UsageError
from .predictions import merge_types

__all__ = ["FoldSettings", "card_base", "fold_ids", "out_of_fold"]


@dataclass(frozen=True)
class FoldSettings:
    """How each fold model is fine-tuned: ``base`` to start from, epochs, learning rate, batch size, seed."""

    base: str
    epochs: float = 3.0
    learning_rate: float = 5e-5
    batch_size: int = 32
    seed: int = 42

    def __post_init__(self) -> None:
        if self.epochs <= 0:
            raise UsageError(f"cv_epochs must be > 0, got {self.epochs}", argument="cv_epochs")
        if self.learning_rate <= 0:
            raise UsageError(f"cv_learning_rate must be > 0, got {self.learning_rate}", argument="cv_learning_rate")
        if self.batch_size < 1:
            raise UsageError(f"cv_batch_size must be >= 1, got {self.batch_size}", argument="cv_batch_size")


def card_base(model: str | Path) -> str | None:
    """The base checkpoint a model card (``README.md`` beside the model) names, when that folder exists here."""
    card = Path(model) / "README.md"
    if not card.is_file():
        return None
    found = re.search(r"fine-tuned with zhbert from\s+`([^`]+)`", card.read_text(encoding="utf-8"))
    return found.group(1) if found and (Path(found.group(1)) / "config.json").is_file() else None


def fold_ids(keys: Sequence[str], k: int, seed: int) -> list[int]:
    """The fold of each item: shuffled by ``seed``, then dealt round-robin within each key (a label, for
    stratified folds; one key for all, for plain ones)."""
    rng = random.Random(seed)
    order = list(range(len(keys)))
    rng.shuffle(order)
    folds = [0] * len(keys)
    dealt: dict[str, int] = {}
    for i in order:
        folds[i] = dealt.get(keys[i], 0) % k
        dealt[keys[i]] = dealt.get(keys[i], 0) + 1
    return folds


def out_of_fold(task: Any, examples: Sequence[Any], k: int, settings: FoldSettings, found: Any, predictor: Any) -> Any:
    """Each example's probabilities from the fold model that did not see it: an ``(examples, labels)`` array in
    ``found.labels`` order (classification), or per-text ``TokenProbabilities`` over ``found.labels`` (NER; each
    type's probability on the type's first tag, which is all the label-error search reads)."""
    from ...finetune.arguments import FinetuneArguments, TaskArguments
    from ...finetune.run import finetune, make_task

    if k < 2 or k > len(examples):
        raise UsageError(f"--cv {k}: need 2 <= K <= the {len(examples)} examples", argument="cv")
    classify = task.name == "classify"
    folds = fold_ids([e.label for e in examples] if classify else ["" for _ in examples], k, settings.seed)
    max_length = int(getattr(predictor.model.config, "zhbert_max_length", None) or predictor.max_length)
    pairs = classify and any(e.text_pair for e in examples)
    probs: Any = np.zeros((len(examples), len(found.labels))) if classify else [None] * len(examples)
    with tempfile.TemporaryDirectory(prefix="zhbert-cv-") as work:
        for fold in range(k):
            began = time.monotonic()
            train = [e for e, f in zip(examples, folds, strict=True) if f != fold]
            held = [i for i, f in enumerate(folds) if f == fold]
            path = Path(work) / f"fold{fold}.{'csv' if classify else 'bioes'}"
            _write_fold(path, train, classify, pairs)
            args = TaskArguments(
                model_name_or_path=settings.base, train_file=str(path), text_column="text" if classify else None,
                text_pair_column="text_pair" if pairs else None, scheme="BIOES", format="tags",
                crf=getattr(predictor, "crf", None) is not None, max_seq_length=max_length, early_stopping_patience=0,
            )  # fmt: skip
            training = FinetuneArguments(
                output_dir=str(Path(work) / f"model{fold}"), num_train_epochs=settings.epochs,
                learning_rate=settings.learning_rate, per_device_train_batch_size=settings.batch_size,
                seed=settings.seed, eval_strategy="no", save_strategy="no", load_best_model_at_end=False,
                report_to="none", disable_tqdm=True,
            )  # fmt: skip
            fold_task = make_task(task.name, args)
            finetune(fold_task, args, training, command=f"zhbert evaluate --cv {k} (fold {fold + 1})")
            fold_model = fold_task.load(str(training.output_dir), device=predictor.device)
            _predict_fold(fold_model, [examples[i] for i in held], held, probs, found, classify)
            print(f"zhbert evaluate --cv {k}: fold {fold + 1}/{k}: trained on {len(train)}, predicted {len(held)} "
                  f"({time.monotonic() - began:.0f} s)", file=sys.stderr, flush=True)  # fmt: skip
    return probs


def _write_fold(path: Path, train: Sequence[Any], classify: bool, pairs: bool) -> None:
    if not classify:
        from ...data.ner import write_conll_bioes

        write_conll_bioes(path, train)
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "text", *(["text_pair"] if pairs else [])])
        writer.writerows([e.label, e.text, *([e.text_pair or ""] if pairs else [])] for e in train)


def _predict_fold(predictor: Any, held: Sequence[Any], rows: list[int], probs: Any, found: Any, classify: bool) -> None:
    """Write the fold model's probabilities for ``held`` into ``probs`` (in ``found``'s label order; a label the
    fold's training part lacked gets probability 0)."""
    from ...api.tagger import TokenProbabilities

    if classify:
        pairs = [e.text_pair or "" for e in held] if any(e.text_pair for e in held) else None
        for row, p in zip(rows, predictor.predict([e.text for e in held], text_pairs=pairs), strict=True):
            probs[row] = [p.scores.get(label, 0.0) for label in found.labels]
        return
    fold_labels = [predictor.id2label[i] for i in sorted(predictor.id2label)]
    first_tag: dict[str, int] = {}  # each type's mass goes to its first tag among the evaluated model's labels
    for j, label in enumerate(found.labels):
        first_tag.setdefault(_type(label), j)
    asked = [(row, e.text) for row, e in zip(rows, held, strict=True) if e.text.strip()]
    for (row, _), t in zip(asked, predictor.token_probabilities([text for _, text in asked]), strict=True):
        fold_names, merged = merge_types(fold_labels, t.probs)
        tags = np.zeros((len(t.starts), len(found.labels)))
        for j, name in enumerate(fold_names):
            if name in first_tag:
                tags[:, first_tag[name]] = merged[:, j]
        probs[row] = TokenProbabilities(t.starts, t.ends, tags)


def _type(label: str) -> str:
    return "O" if label == "O" else label.split("-", 1)[1]
