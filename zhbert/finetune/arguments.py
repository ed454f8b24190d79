"""The arguments of fine-tuning: what to train on (``TaskArguments``) and how (``FinetuneArguments``, a
``TrainingArguments`` that carries zhbert's defaults, on ``zhbert.models.PrecisionTrainingArguments``).

Both are plain dataclasses: ``zhbert train`` parses them from flags or one JSON file with ``HfArgumentParser``,
and Python code builds them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from ..errors import UsageError
from ..models.training_args import PrecisionTrainingArguments
from .class_weight import parse_class_weight

__all__ = ["FinetuneArguments", "TaskArguments"]

_SAVE_STRATEGIES = ["no", "steps", "epoch", "best"]


@dataclass
class TaskArguments:
    """The data and the task's options."""

    _argument_group_name: ClassVar[str] = "data and task"  # a group of its own in --help, before the training flags

    model_name_or_path: str = field(metadata={"help": "BERT checkpoint to start from (wwm-pretrain output works)."})
    train_file: str = field(
        metadata={"help": "Training data (NER: tags or an annotation export; classify: csv/tsv/jsonl)."}
    )
    validation_file: str | None = field(default=None, metadata={"help": "Dev data, for early stopping."})
    test_file: str | None = field(default=None, metadata={"help": "Test data, evaluated once at the end."})
    validation_split_percentage: float = field(
        default=0.0,
        metadata={"help": "Without --validation_file: hold out this percentage of the training data (fixed seed)."},
    )
    test_split_percentage: float = field(
        default=0.0,
        metadata={"help": "Without --test_file: hold out this percentage of the training data (fixed seed)."},
    )
    split_seed: int = field(default=42, metadata={"help": "Seed of the train/dev/test split."})
    text_column: str | None = field(default=None, metadata={"help": "Text column (classify); default text/review."})
    text_pair_column: str | None = field(default=None, metadata={"help": "Second text column (classify)."})
    label_column: str = field(default="label", metadata={"help": "Label column (classify)."})
    class_weight: str = field(
        default="none",
        metadata={
            "help": "Class weights in the loss (classify): none, balanced (n_samples / (n_classes * count), for "
            "imbalanced labels) or label=weight pairs, e.g. 'pos=1,neg=2.5' (labels not named keep 1)."
        },
    )
    scheme: str = field(default="auto", metadata={"help": "NER tag scheme: auto, BIO/IOB2, BIOES or BMES."})
    fix_tags: bool = field(default=False, metadata={"help": "Repair an I- tag with no B- before it (NER)."})
    format: str = field(
        default="auto",
        metadata={
            "help": "NER file format: auto (from the content), tags, doccano, label-studio, label-studio-min, "
            "cmeee, cluener or brat."
        },
    )
    offsets: str = field(
        default="auto",
        metadata={
            "help": "Unit of annotation offsets written without their text: auto, codepoints or utf16.",
            "choices": ["auto", "codepoints", "utf16"],
        },
    )
    annotator: str = field(
        default="first",
        metadata={"help": "Which annotation of a text annotated several times: first, latest or an annotator id."},
    )
    overlaps: str | None = field(
        default=None,
        metadata={
            "help": "Overlapping entities in annotation files: refuse, keep the longest, or keep them all "
            "(--head span only) (default: refuse; longest with --fix_tags; keep with --head span).",
            "choices": ["refuse", "longest", "keep"],
        },
    )
    crf: bool = field(
        default=True,
        metadata={"help": "A CRF layer over the token scores (NER); on Resume NER it beat softmax + Viterbi."},
    )
    head: str = field(
        default="tags",
        metadata={
            "help": "NER head: tags (a BIOES tag per character, flat entities) or span (a GlobalPointer score per "
            "start, end and type: nested and overlapping entities).",
            "choices": ["tags", "span"],
        },
    )
    span_head_size: int = field(
        default=64, metadata={"help": "Size of each type's start and end vectors in the span head (--head span)."}
    )
    max_seq_length: int = field(default=256, metadata={"help": "Tokens per example; longer NER sentences are split."})
    early_stopping_patience: int = field(default=3, metadata={"help": "Evaluations without improvement to stop."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Use at most this many training examples."})

    def __post_init__(self) -> None:
        parse_class_weight(self.class_weight)  # the labels are checked once the training data is read
        for name in ("validation_split_percentage", "test_split_percentage"):
            value = getattr(self, name)
            if not 0 <= value < 100:
                raise UsageError(f"{name} must lie in [0, 100), got {value}", argument=name)
        if self.max_seq_length < 3:
            raise UsageError(
                f"max_seq_length must be at least 3 ([CLS], one token, [SEP]), got {self.max_seq_length}",
                argument="max_seq_length",
            )
        if self.head not in ("tags", "span"):
            raise UsageError(f"head must be tags or span, got {self.head!r}", argument="head")
        if self.head == "tags" and self.overlaps == "keep":
            raise UsageError(
                "overlaps 'keep' needs --head span: a tagger holds one tag per character, so its entities cannot "
                "overlap",
                argument="overlaps",
            )
        if self.span_head_size < 2 or self.span_head_size % 2:
            raise UsageError(
                f"span_head_size must be an even number >= 2, got {self.span_head_size}", argument="span_head_size"
            )
        if self.max_train_samples is not None and self.max_train_samples < 1:
            raise UsageError(
                f"max_train_samples must be >= 1, got {self.max_train_samples}", argument="max_train_samples"
            )


@dataclass
class FinetuneArguments(PrecisionTrainingArguments):
    """``TrainingArguments`` with zhbert's defaults for fine-tuning on a dev set: evaluate and save every epoch,
    keep the best checkpoint (by the task's metric) and one more, report to nothing. Without a dev set,
    ``finetune`` turns evaluation off.

    ``save_strategy`` and ``save_steps`` follow ``eval_strategy`` and ``eval_steps`` unless given.
    """

    # In --help, after the task's own flags: transformers' ~150 flags would otherwise come first.
    _argument_group_name: ClassVar[str] = "training (transformers TrainingArguments, with zhbert's defaults)"

    eval_strategy: str = field(
        default="epoch",
        metadata={
            "help": "When to evaluate on the dev set: 'no', 'steps' or 'epoch'.",
            "choices": ["no", "steps", "epoch"],
        },
    )
    save_strategy: str | None = field(  # type: ignore[assignment]
        default=None,
        metadata={"help": "When to save checkpoints (default: as --eval_strategy).", "choices": _SAVE_STRATEGIES},
    )
    save_steps: float | None = field(  # type: ignore[assignment]
        default=None, metadata={"help": "Save every X steps with --save_strategy steps (default: --eval_steps)."}
    )
    save_total_limit: int | None = field(default=2, metadata={"help": "Checkpoints kept (the best one among them)."})
    load_best_model_at_end: bool = field(default=True, metadata={"help": "Keep the best dev checkpoint at the end."})
    overwrite_output_dir: bool = field(
        default=False,
        metadata={"help": "Train into an output directory that already holds files (else refused, unless resuming)."},
    )
    dataloader_pin_memory: bool = field(
        default_factory=torch.cuda.is_available, metadata={"help": "Pin batches in memory (default: with a GPU)."}
    )

    def __post_init__(self) -> None:
        steps = str(self.eval_strategy) == "steps"
        if self.save_strategy is None:
            self.save_strategy = str(self.eval_strategy) if str(self.eval_strategy) != "no" else "steps"
        if self.save_steps is None:
            follow = self.eval_steps if self.eval_steps is not None else self.logging_steps
            self.save_steps = follow if steps and str(self.save_strategy) == "steps" else 500
        if str(self.eval_strategy) == "no":
            self.load_best_model_at_end = False
        super().__post_init__()
