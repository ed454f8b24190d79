"""A fine-tuning task owns everything that differs between classification and NER: reading files, the label
set, the model, training features, the predictor and the scores. ``finetune`` and ``zhbert evaluate`` share it.

    task = NerTask(scheme="auto", fix_tags=True)
    examples = task.read("test.char.bmes")
    scores = task.score(EntityTagger.from_pretrained("runs/resume-ner"), examples)
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from ..models.loading import load_pretrained

__all__ = ["Task"]


class Task(ABC):
    """One kind of fine-tuning.

    Class attributes:
        name: the task's name on the command line and in ``config.zhbert_task``.
        metric: the headline metric, used to pick the best checkpoint.
        headline: the metrics logged at each evaluation, ``metric`` first.
        report_key: the key of ``score``'s detailed report (per label or per entity type).
        api: the Python API class that serves the trained model (``TextClassifier``, ``EntityTagger``).
        auto_class: the plain transformers class that loads its checkpoint, by name (the model card says what it
            gives and what it leaves out).
    """

    name: ClassVar[str]
    metric: ClassVar[str]
    headline: ClassVar[tuple[str, ...]]
    report_key: ClassVar[str]
    api: ClassVar[Any]
    auto_class: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def read(self, path: str | os.PathLike[str]) -> list[Any]:
        """The labelled examples of a file."""

    @abstractmethod
    def labels(self, train: Sequence[Any]) -> list[str]:
        """The model's labels (in id order) for these training examples."""

    @abstractmethod
    def check_labels(self, examples: Sequence[Any], labels: Sequence[str]) -> None:
        """Raise ``DataError`` naming the example's source when it uses a label (or type) the model lacks."""

    def build_model(self, model_name_or_path: str, labels: list[str], max_length: int) -> Any:
        """The model to fine-tune (``auto_class``), its head sized for ``labels``; the config records the task
        (``zhbert_task``) and the length it is trained at (``zhbert_max_length``)."""
        import transformers

        model = load_pretrained(
            getattr(transformers, self.auto_class),
            model_name_or_path,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
            ignore_mismatched_sizes=True,
        )
        model.config.zhbert_task = self.name
        model.config.zhbert_max_length = max_length
        return model

    @abstractmethod
    def dataset(self, train: Sequence[Any], tokenizer: Any, label2id: dict[str, int], max_length: int) -> Any:
        """Training features as a ``datasets.Dataset``."""

    @abstractmethod
    def collator(self, tokenizer: Any) -> Any:
        """Pads a batch of training features."""

    def predictor(self, model: Any, tokenizer: Any, device: Any = None, dtype: Any = None) -> Any:
        """The Python API object (``api``) over a model; ``dtype`` as the API classes take it."""
        return self.api(model, tokenizer, device=device, dtype=dtype)

    def load(self, path: str | os.PathLike[str], device: Any = None, dtype: Any = None) -> Any:
        """The Python API object (``api``) over a saved model."""
        return self.api.from_pretrained(path, device=device, dtype=dtype)

    @abstractmethod
    def model_labels(self, predictor: Any) -> list[str]:
        """The labels a loaded predictor knows."""

    @abstractmethod
    def score(self, predictor: Any, examples: Sequence[Any], batch_size: int = 32) -> dict[str, Any]:
        """All metrics of the predictor on the examples (``headline`` keys and ``report_key``)."""
