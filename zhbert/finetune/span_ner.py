"""Nested NER as a fine-tuning task: the span head (GlobalPointer) over every (start, end) token pair per type,
trained on annotation files with their nested entities kept (tag files, being flat, train it too), and scored by
exact (start, end, type) match through the same ``EntityTagger`` path that serves predictions.

    task = SpanNerTask()
    examples = task.read("cmeee_dev.json")   # nested entities kept
    scores = task.score(EntityTagger.from_pretrained("runs/cmeee-span"), examples)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..data.ner import NerExample
from ..models.span_head import add_span_head
from .features import SpanCollator, span_features
from .metrics import span_metrics
from .ner import NerTask
from .task import Task

__all__ = ["SpanNerTask"]


class SpanNerTask(NerTask):
    """Args: as :class:`NerTask` takes them, less ``crf``; ``overlaps`` defaults to ``"keep"`` (nested entities
    are what the head is for; ``"longest"`` or ``"refuse"`` make the data flat as for a tagger), and
    ``head_size`` is the size of each type's start and end vectors."""

    description = "span NER (GlobalPointer)"
    head = "span"

    def __init__(
        self,
        scheme: str = "auto",
        fix_tags: bool = False,
        position_digits: bool | None = None,
        format: str = "auto",
        offsets: str = "auto",
        annotator: str = "first",
        overlaps: str | None = "keep",
        head_size: int | None = None,
    ) -> None:
        super().__init__(scheme, fix_tags, False, position_digits, format, offsets, annotator, overlaps or "keep")
        self.head_size = head_size
        self.types = 0

    def labels(self, train: Sequence[NerExample]) -> list[str]:
        types = self.train_types(train)  # the labels are the types themselves
        self.types = len(types)
        return types

    def model_types(self, labels: Sequence[str]) -> list[str]:
        return list(labels)

    def build_model(self, model_name_or_path: str, labels: list[str], max_length: int) -> Any:
        model = Task.build_model(self, model_name_or_path, labels, max_length)
        return add_span_head(model, self.head_size)

    def dataset(self, train: Sequence[NerExample], tokenizer: Any, label2id: dict[str, int], max_length: int) -> Any:
        import datasets

        self.types = len(label2id)
        features = span_features(
            [e.text for e in train], [e.spans for e in train], tokenizer, label2id, max_length=max_length
        )
        ints = datasets.Sequence(datasets.Value("int32"))
        columns = ("input_ids", "attention_mask", "token_type_ids", "labels")
        schema = datasets.Features({name: ints for name in columns})  # typed even where no text has an entity
        return datasets.Dataset.from_list(features, features=schema)

    def collator(self, tokenizer: Any) -> Any:
        return SpanCollator(tokenizer, self.types)

    def metrics(self, texts: Sequence[str], gold: Sequence[Any], predicted: Sequence[Any]) -> dict[str, Any]:
        return span_metrics(gold, predicted)
