"""Fine-tune a BERT checkpoint on labelled data with ``Trainer``: ``finetune(task, args, training_args)``.

    from zhbert.finetune import FinetuneArguments, TaskArguments, finetune
    finetune("ner", TaskArguments(model_name_or_path="runs/law-bert", train_file="train.char.bmes",
             validation_file="dev.char.bmes"), FinetuneArguments(output_dir="runs/resume-ner"))

The command line (``zhbert train {classify,ner}``) parses the same two dataclasses. The best checkpoint (by dev
F1 or accuracy, with early stopping) is saved in the output directory with its labels, tokenizer and a model card.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from ..data.splits import split_examples
from ..errors import DataError, UsageError
from ..models.dropout import use_fast_dropout
from ..models.loading import checkpoint_task, fit_tokenizer_length, load_pretrained
from ..models.span_head import has_span_head
from .arguments import FinetuneArguments, TaskArguments
from .card import write_model_card
from .class_weight import check_resumed, check_task, class_weights, describe, record
from .classification import ClassificationTask
from .ner import NerTask
from .span_ner import SpanNerTask
from .task import Task

__all__ = ["TASKS", "check_output_dir", "finetune", "make_task", "task_of_checkpoint"]

logger = logging.getLogger("zhbert.finetune")

TASKS = ("classify", "ner")


def make_task(name: str, args: TaskArguments | None = None) -> Task:
    """The task called ``name`` (``"classify"`` or ``"ner"``), with the task options of ``args``."""
    if name == "classify":
        if args is None:
            return ClassificationTask()
        return ClassificationTask(args.text_column, args.text_pair_column, args.label_column)
    if name == "ner":
        if args is None:
            return NerTask()
        if args.head == "span":
            return SpanNerTask(
                args.scheme, args.fix_tags, None, args.format, args.offsets, args.annotator,
                overlaps=args.overlaps or "keep", head_size=args.span_head_size,
            )  # fmt: skip
        overlaps = args.overlaps or ("longest" if args.fix_tags else "refuse")
        return NerTask(
            args.scheme, args.fix_tags, args.crf, None, args.format, args.offsets, args.annotator, overlaps=overlaps
        )
    raise UsageError(f"unknown task {name!r}: choose {' or '.join(TASKS)}", argument="task")


def task_of_checkpoint(path: str | Path, args: TaskArguments | None = None) -> Task:
    """The task a saved model was fine-tuned for (``zhbert.models.loading.checkpoint_task``); a tagger trained
    with the span head gets the span task, whatever ``args.head`` says."""
    from transformers import AutoConfig

    name = checkpoint_task(path)
    if name == "ner" and has_span_head(load_pretrained(AutoConfig, path)):
        base = args or TaskArguments(model_name_or_path=str(path), train_file="")
        args = dataclasses.replace(base, head="span")
    return make_task(name, args)


def check_output_dir(training_args: FinetuneArguments) -> str | bool | None:
    """Refuse an output directory that already holds files, before anything is read or written, unless the run
    overwrites it or resumes; the checkpoint to resume from (``True``: the latest in the output directory).

    Raises:
        UsageError: a non-empty output directory, without ``overwrite_output_dir`` or ``resume_from_checkpoint``.
    """
    wanted = training_args.resume_from_checkpoint
    if wanted:
        return True if str(wanted).lower() in ("true", "latest") else str(wanted)
    out = Path(str(training_args.output_dir))
    if out.is_dir() and any(out.iterdir()) and not getattr(training_args, "overwrite_output_dir", False):
        raise UsageError(
            f"{out} already holds files (a trained model?): choose another output_dir, set overwrite_output_dir "
            "to replace it, or resume_from_checkpoint to continue its run",
            argument="overwrite_output_dir",
        )
    return None


def _drop_old_checkpoints(out: Path) -> None:
    """Remove the ``checkpoint-*`` folders an overwritten run left, so that old and new checkpoints never mix."""
    import shutil

    for old in sorted(out.glob("checkpoint-*")):
        if old.is_dir():
            logger.info("Overwriting %s: removing its old %s", out, old.name)
            shutil.rmtree(old)


def _checkpoint(resume: str | bool, training_args: FinetuneArguments) -> str | None:
    """The folder a run resumes from: ``resume`` itself, or the latest ``checkpoint-*`` in the output directory
    (None when there is none: transformers reports it)."""
    if resume is True:
        from transformers.trainer_utils import get_last_checkpoint

        return get_last_checkpoint(str(training_args.output_dir))
    return str(resume)


def _splits(task: Task, args: TaskArguments) -> tuple[list[Any], list[Any], list[Any]]:
    train = task.read(args.train_file)
    if args.validation_split_percentage or args.test_split_percentage:
        train, dev, test = split_examples(
            train, args.validation_split_percentage, args.test_split_percentage, args.split_seed
        )
    else:
        dev, test = [], []
    if args.validation_file:
        dev = task.read(args.validation_file)
    if args.test_file:
        test = task.read(args.test_file)
    if args.max_train_samples is not None:
        train = train[: args.max_train_samples]
    if not train:
        raise DataError(f"{args.train_file}: no training examples")
    return train, dev, test


def _resolve(training_args: FinetuneArguments, has_dev: bool, metric: str) -> FinetuneArguments:
    """The arguments for this run, re-validated by ``TrainingArguments``: no evaluation without a dev set, and
    the task's metric picks the best checkpoint unless one was chosen."""
    changes: dict[str, Any] = {}
    if not has_dev and str(training_args.eval_strategy) != "no":
        changes.update(eval_strategy="no", load_best_model_at_end=False)
    if has_dev and training_args.metric_for_best_model in (None, "loss", "eval_loss"):
        # TrainingArguments makes "loss" the default; these trainers score without a loss.
        changes.update(metric_for_best_model=metric, greater_is_better=True)
    return dataclasses.replace(training_args, **changes) if changes else training_args


def finetune(
    task: Task | str, args: TaskArguments, training_args: FinetuneArguments, command: str | None = None
) -> dict[str, float]:
    """Fine-tune ``args.model_name_or_path`` for ``task`` and save the best model in ``training_args.output_dir``.

    Args:
        task: a ``Task``, or its name (``"classify"``, ``"ner"``) to build it from ``args``.
        args: the data and the task's options.
        training_args: how to train (zhbert's defaults: see ``FinetuneArguments``).
        command: what the model card shows as the command that trained the model.

    Returns:
        The metrics: training, ``eval_*`` on the dev set, ``test_*`` on the test set.
    """
    from transformers import AutoTokenizer, EarlyStoppingCallback, set_seed

    from .trainer import ApiEvalTrainer

    resume = check_output_dir(training_args)
    task = make_task(task, args) if isinstance(task, str) else task
    check_task(task.name, args.class_weight)
    set_seed(training_args.seed)
    train, dev, test = _splits(task, args)  # the data first: a bad file fails before any model loads
    tokenizer = load_pretrained(AutoTokenizer, args.model_name_or_path)
    if not tokenizer.is_fast:
        raise UsageError(
            f"{args.model_name_or_path}: zhbert needs a fast tokenizer (tokenizer.json or vocab.txt)",
            argument="model_name_or_path",
        )
    labels = task.labels(train)
    task.check_labels([*dev, *test], labels)
    label2id = {label: i for i, label in enumerate(labels)}
    weights = class_weights(args.class_weight, train, labels) if task.name == "classify" else None
    checkpoint = _checkpoint(resume, training_args) if resume is not None else None
    if checkpoint is not None:
        check_resumed(checkpoint, weights, labels)
    model = task.build_model(args.model_name_or_path, labels, args.max_seq_length)
    record(model.config, weights, labels)
    if weights is not None:
        logger.info("Class weights in the loss (%s)", describe(weights, labels, args.class_weight))
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions is not None and args.max_seq_length > positions:
        raise UsageError(
            f"max_seq_length {args.max_seq_length} is over the model's {positions} positions", argument="max_seq_length"
        )
    fit_tokenizer_length(tokenizer, model)
    if getattr(training_args, "fast_dropout", False):
        logger.info("Fast dropout: %s", use_fast_dropout(model))
    dataset = task.dataset(train, tokenizer, label2id, args.max_seq_length)
    if resume is None:
        _drop_old_checkpoints(Path(str(training_args.output_dir)))
    training_args = _resolve(training_args, bool(dev), task.metric)
    callbacks = []
    if dev and training_args.load_best_model_at_end and args.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=args.early_stopping_patience))
    trainer = ApiEvalTrainer(
        model=model,
        args=training_args,
        train_dataset=dataset,
        eval_dataset=dev or None,
        data_collator=task.collator(tokenizer),
        processing_class=tokenizer,
        callbacks=callbacks,
        task=task,
        class_weights=weights,
    )
    result = trainer.train(resume_from_checkpoint=resume)
    output_dir = Path(str(training_args.output_dir))
    trainer.save_model(str(output_dir))  # the best checkpoint when a dev set was given
    tokenizer.save_pretrained(str(output_dir))
    metrics: dict[str, float] = dict(result.metrics)
    if dev:
        metrics.update(trainer.evaluate(metric_key_prefix="eval"))
    if test:
        metrics.update(trainer.evaluate(test, metric_key_prefix="test"))
    if training_args.should_save:
        scalars = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        trainer.save_metrics("all", scalars)
        (output_dir / "metrics_report.json").write_text(json.dumps(trainer.reports, indent=2, ensure_ascii=False))
        sizes = {
            "train": (len(train), args.train_file),
            "dev": (len(dev), args.validation_file),
            "test": (len(test), args.test_file),
        }
        shown = command or f"finetune({task.name!r}, {args!r})"
        weighted = describe(weights, labels, args.class_weight) if weights is not None else None
        write_model_card(output_dir, task, args.model_name_or_path, labels, scalars, sizes, shown, weighted)
    key = f"test_{task.metric}" if test else f"eval_{task.metric}"
    if key in metrics:
        print(f"{key} {metrics[key]:.4f}", flush=True)
    return metrics
