"""Text classification as a fine-tuning task: labelled texts (or text pairs), a sequence classifier, and
accuracy and macro-F1 through the same ``TextClassifier`` path that serves predictions. Soft labels (a
probability per label) train against the whole distribution."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from ..api.classifier import TextClassifier
from ..data.classification import ClsExample, read_cls_file
from ..errors import DataError
from .metrics import classification_metrics
from .task import Task

__all__ = ["ClassificationTask"]

logger = logging.getLogger(__name__)


class ClassificationTask(Task):
    """Args:
    text_column: the text's column; None picks the first of ``zhbert.data.TEXT_COLUMNS`` the file has.
    text_pair_column: the second text's column, for pair tasks.
    label_column: the label's column.
    """

    name = "classify"
    metric = "accuracy"
    headline = ("accuracy", "macro_f1")
    report_key = "per_label"
    api = TextClassifier
    auto_class = "AutoModelForSequenceClassification"
    description = "text classification"

    def __init__(
        self, text_column: str | None = None, text_pair_column: str | None = None, label_column: str = "label"
    ) -> None:
        self.text_column = text_column
        self.text_pair_column = text_pair_column
        self.label_column = label_column

    def read(self, path: str | os.PathLike[str]) -> list[ClsExample]:
        data = read_cls_file(
            path, text_column=self.text_column, text_pair_column=self.text_pair_column, label_column=self.label_column
        )
        if data.skipped_empty:
            logger.warning("%s: %d rows with an empty text were left out", path, data.skipped_empty)
        return data.examples

    def labels(self, train: Sequence[ClsExample]) -> list[str]:
        names = {e.label for e in train} | {name for e in train for name, _ in e.label_probs or ()}
        if all(label.lstrip("-").isdigit() for label in names):
            return sorted(names, key=int)
        return sorted(names)

    def check_labels(self, examples: Sequence[ClsExample], labels: Sequence[str]) -> None:
        known = set(labels)
        for example in examples:
            if example.label not in known:
                raise DataError(
                    f"{example.source}: label {example.label!r} is not among the model's labels {list(labels)}"
                )

    def dataset(self, train: Sequence[ClsExample], tokenizer: Any, label2id: dict[str, int], max_length: int) -> Any:
        import datasets

        pairs = [e.text_pair for e in train] if any(e.text_pair for e in train) else None
        enc = tokenizer([e.text for e in train], pairs, truncation=True, max_length=max_length)
        targets: list[Any] = [label2id[e.label] for e in train]
        if any(e.label_probs for e in train):  # soft labels: every row becomes a distribution over the labels
            targets = [[0.0] * len(label2id) for _ in train]
            for row, e in zip(targets, train, strict=True):
                for name, p in e.label_probs or ((e.label, 1.0),):
                    row[label2id[name]] += p
        return datasets.Dataset.from_dict({**enc, "labels": targets})

    def collator(self, tokenizer: Any) -> Any:
        from transformers import DataCollatorWithPadding

        return DataCollatorWithPadding(tokenizer)

    def model_labels(self, predictor: TextClassifier) -> list[str]:
        return list(predictor.labels)

    def score(self, predictor: TextClassifier, examples: Sequence[ClsExample], batch_size: int = 32) -> dict[str, Any]:
        pairs = [e.text_pair or "" for e in examples] if any(e.text_pair for e in examples) else None
        predicted = predictor.predict([e.text for e in examples], batch_size=batch_size, text_pairs=pairs)
        return classification_metrics([e.label for e in examples], [p.label for p in predicted])
