"""Fine-tuning: tasks (classification, BIOES NER, span NER) that own reading, labels, the model, features and scores;
the arguments; the ``Trainer`` that evaluates through the Python API; metrics; and the model card."""

from __future__ import annotations

from .arguments import FinetuneArguments, TaskArguments
from .classification import ClassificationTask
from .features import ner_features, word_spans
from .metrics import classification_metrics, ner_metrics, span_metrics
from .ner import NerTask
from .run import TASKS, finetune, make_task, task_of_checkpoint
from .span_ner import SpanNerTask
from .task import Task
from .trainer import ApiEvalTrainer, LengthBuckets

__all__ = [
    "TASKS",
    "ApiEvalTrainer",
    "ClassificationTask",
    "FinetuneArguments",
    "LengthBuckets",
    "NerTask",
    "SpanNerTask",
    "Task",
    "TaskArguments",
    "classification_metrics",
    "finetune",
    "make_task",
    "ner_features",
    "ner_metrics",
    "span_metrics",
    "task_of_checkpoint",
    "word_spans",
]
