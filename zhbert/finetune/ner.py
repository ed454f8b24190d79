"""Named-entity recognition as a fine-tuning task: entity spans from files in any tag scheme, a BIOES token
classifier (with a CRF by default), and strict IOBES seqeval through the same ``EntityTagger`` path that serves
predictions."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from ..api.tagger import EntityTagger
from ..data.ner import NerData, NerExample, read_ner_data
from ..errors import DataError
from ..models.crf_head import add_crf
from ..tagging.schemes import bioes_labels, entity_types
from .features import ner_features
from .metrics import ner_metrics
from .task import Task

__all__ = ["NerTask", "read_summary"]

logger = logging.getLogger("zhbert.finetune")


class NerTask(Task):
    """Args:
    scheme: the tag scheme of character-per-line files: ``"auto"``, ``"IOB2"`` (``"BIO"``), ``"BIOES"`` or ``"BMES"``.
    fix_tags: repair invalid tag sequences as lenient decoders do, instead of raising.
    crf: train a CRF over the token scores.
    position_digits: whether tokens end in their position in their word (``科0``, Weibo NER); ``None`` decides
        from the first file read, and every later file of the task (validation, test) is read the same way.
    format: the files' format: ``"auto"`` (from the content), ``"tags"`` or an annotation format
        (:func:`zhbert.data.read_ner_data`); ``offsets`` and ``annotator`` as it takes them.
    overlaps: overlapping entities of annotation files: ``"refuse"`` or ``"longest"``; ``None`` follows ``fix_tags``.
    """

    name = "ner"
    metric = "f1"
    headline = ("f1", "precision", "recall", "macro_f1")
    report_key = "per_type"
    api = EntityTagger
    auto_class = "AutoModelForTokenClassification"
    description = "BIOES NER"
    head = "tags"  # one tag per character; SpanNerTask's is "span"

    def __init__(
        self,
        scheme: str = "auto",
        fix_tags: bool = False,
        crf: bool = True,
        position_digits: bool | None = None,
        format: str = "auto",
        offsets: str = "auto",
        annotator: str = "first",
        overlaps: str | None = None,
    ) -> None:
        self.scheme = scheme
        self.fix_tags = fix_tags
        self.crf = crf
        self.position_digits = position_digits
        self.format = format
        self.offsets = offsets
        self.annotator = annotator
        self.overlaps = overlaps

    def read(self, path: str | os.PathLike[str]) -> list[NerExample]:
        data = read_ner_data(
            path,
            scheme=self.scheme,
            fix_tags=self.fix_tags,
            position_digits=self.position_digits,
            format=self.format,
            offsets=self.offsets,
            annotator=self.annotator,
            overlaps=self.overlaps,
        )
        self.position_digits = data.position_digits
        logger.info(read_summary(path, data))
        return data.examples

    def labels(self, train: Sequence[NerExample]) -> list[str]:
        return bioes_labels(self.train_types(train))

    @staticmethod
    def train_types(train: Sequence[NerExample]) -> list[str]:
        """The entity types of the training examples, sorted.

        Raises:
            DataError: the training data has no entities.
        """
        types = sorted({kind for e in train for _, _, kind in e.spans})
        if not types:
            source = train[0].source.rsplit(":", 1)[0] if train else "the training data"
            raise DataError(f"{source}: the training data has no entities")
        return types

    def model_types(self, labels: Sequence[str]) -> list[str]:
        """The entity types of a model's labels."""
        return list(entity_types(labels))

    def check_labels(self, examples: Sequence[NerExample], labels: Sequence[str]) -> None:
        known = self.model_types(labels)
        for example in examples:
            for _, _, kind in example.spans:
                if kind not in known:
                    raise DataError(
                        f"{example.source}: entity type {kind!r} is not among the model's types ({', '.join(known)})"
                    )

    def build_model(self, model_name_or_path: str, labels: list[str], max_length: int) -> Any:
        model = super().build_model(model_name_or_path, labels, max_length)
        return add_crf(model) if self.crf else model

    def dataset(self, train: Sequence[NerExample], tokenizer: Any, label2id: dict[str, int], max_length: int) -> Any:
        import datasets

        features = ner_features(
            [e.text for e in train], [e.spans for e in train], tokenizer, label2id, max_length=max_length
        )
        return datasets.Dataset.from_list(features)

    def collator(self, tokenizer: Any) -> Any:
        from transformers import DataCollatorForTokenClassification

        return DataCollatorForTokenClassification(tokenizer)

    def model_labels(self, predictor: EntityTagger) -> list[str]:
        return [predictor.id2label[i] for i in sorted(predictor.id2label)]

    def score(self, predictor: EntityTagger, examples: Sequence[NerExample], batch_size: int = 32) -> dict[str, Any]:
        texts = [e.text for e in examples]
        asked = [i for i, text in enumerate(texts) if text.strip()]  # a blank text has no entities to find
        found = predictor.predict([texts[i] for i in asked], batch_size=batch_size)
        spans: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        for i, entities in zip(asked, found, strict=True):
            spans[i] = [(x.start, x.end, x.type) for x in entities]
        return self.metrics(texts, [e.spans for e in examples], spans)

    def metrics(self, texts: Sequence[str], gold: Sequence[Any], predicted: Sequence[Any]) -> dict[str, Any]:
        """The scores of predicted spans against gold spans (strict IOBES seqeval)."""
        return ner_metrics(texts, gold, predicted)


def read_summary(path: str | os.PathLike[str], data: NerData) -> str:
    """One line on what a file gave: its format, texts and entities, and for an annotation file the entities
    repaired and refused, and the overlaps."""
    entities = sum(len(e.spans) for e in data.examples)
    line = f"{path}: {data.scheme}, {len(data.examples):,} texts, {entities:,} entities"
    report = data.report
    if report is not None:
        line += (
            f" ({report.spans:,} read, {report.repaired:,} repaired, {len(report.refused):,} refused, "
            f"{len(report.overlaps):,} overlapping pairs, {len(data.dropped):,} left out for overlaps)"
        )
    return line
