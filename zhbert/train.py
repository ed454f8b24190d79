"""``zhbert train classify`` and ``zhbert train ner``: fine-tune a BERT checkpoint on labelled data with ``Trainer``.

    zhbert train ner --model_name_or_path runs/law-bert --train_file train.char.bmes \\
        --validation_file dev.char.bmes --test_file test.char.bmes --output_dir runs/resume-ner
    zhbert train classify --model_name_or_path DIR --train_file reviews.csv --text_column review \\
        --validation_split_percentage 10 --test_split_percentage 10 --output_dir runs/senti

Every ``TrainingArguments`` flag works too. The best checkpoint (by dev F1 or accuracy, with early stopping) is
saved in the output directory with its labels, tokenizer and a model card.
"""

from __future__ import annotations

import json
import logging
import random
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["TaskArguments", "main"]

logger = logging.getLogger("zhbert.train")


@dataclass
class TaskArguments:
    model_name_or_path: str = field(metadata={"help": "BERT checkpoint to start from (wwm-pretrain output works)."})
    train_file: str = field(metadata={"help": "Training data (NER: CoNLL / CLUENER JSON; classify: csv/tsv/jsonl)."})
    validation_file: str | None = field(default=None, metadata={"help": "Dev data, for early stopping."})
    test_file: str | None = field(default=None, metadata={"help": "Test data, evaluated once at the end."})
    validation_split_percentage: float = field(
        default=0.0, metadata={"help": "Without --validation_file: hold out this % of the training data (fixed seed)."}
    )
    test_split_percentage: float = field(
        default=0.0, metadata={"help": "Without --test_file: hold out this % of the training data (fixed seed)."}
    )
    split_seed: int = field(default=42, metadata={"help": "Seed of the train/dev/test split."})
    text_column: str | None = field(default=None, metadata={"help": "Text column (classify); default text/review."})
    text_pair_column: str | None = field(default=None, metadata={"help": "Second text column (classify)."})
    label_column: str = field(default="label", metadata={"help": "Label column (classify)."})
    scheme: str = field(default="auto", metadata={"help": "NER tag scheme: auto, BIO/IOB2, BIOES or BMES."})
    fix_tags: bool = field(default=False, metadata={"help": "Repair an I- tag with no B- before it (NER)."})
    crf: bool = field(
        default=True,
        metadata={"help": "A CRF layer over the token scores (NER); on Resume NER it beat softmax + Viterbi."},
    )
    max_seq_length: int = field(default=256, metadata={"help": "Tokens per example; longer NER sentences are split."})
    early_stopping_patience: int = field(default=3, metadata={"help": "Evaluations without improvement to stop."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Use at most this many training examples."})


class UsageError(ValueError):
    """A mistake in the arguments or data; reported without a traceback."""


def _split(items: list[Any], args: TaskArguments) -> tuple[list[Any], list[Any], list[Any]]:
    order = list(range(len(items)))
    random.Random(args.split_seed).shuffle(order)
    n_test = round(len(items) * args.test_split_percentage / 100)
    n_dev = round(len(items) * args.validation_split_percentage / 100)
    test = [items[i] for i in order[:n_test]]
    dev = [items[i] for i in order[n_test : n_test + n_dev]]
    train = [items[i] for i in order[n_test + n_dev :]]
    return train, dev, test


def _splits(args: TaskArguments, read: Any) -> tuple[list[Any], list[Any], list[Any]]:
    train = read(args.train_file)
    if args.validation_split_percentage or args.test_split_percentage:
        train, dev, test = _split(train, args)
    else:
        dev, test = [], []
    if args.validation_file:
        dev = read(args.validation_file)
    if args.test_file:
        test = read(args.test_file)
    if args.max_train_samples is not None:
        train = train[: args.max_train_samples]
    if not train:
        raise UsageError(f"{args.train_file}: no training examples")
    return train, dev, test


def _set_defaults(training_args: Any, argv: Sequence[str], has_dev: bool, metric: str) -> None:
    given = {a.split("=")[0].lstrip("-").replace("-", "_") for a in argv if a.startswith("--")}
    if has_dev and "eval_strategy" not in given:
        training_args.eval_strategy = training_args.save_strategy = "epoch"
    if has_dev and training_args.eval_strategy != "no":
        training_args.save_strategy = training_args.eval_strategy
        if "save_steps" not in given:
            training_args.save_steps = training_args.eval_steps
        training_args.load_best_model_at_end = True
        training_args.metric_for_best_model = training_args.metric_for_best_model or metric
        training_args.greater_is_better = True
        if "save_total_limit" not in given:
            training_args.save_total_limit = 2
    if "report_to" not in given:
        training_args.report_to = []
    import torch

    if not torch.cuda.is_available():
        training_args.dataloader_pin_memory = False


def _model_card(
    output_dir: Path, task: str, args: TaskArguments, labels: list[str], results: dict, sizes: dict, command: str
) -> None:
    rows = "\n".join(f"| {k} | {v:.4f} |" for k, v in sorted(results.items()) if isinstance(v, float))
    api = "EntityTagger" if task == "ner" else "TextClassifier"
    auto = "AutoModelForTokenClassification" if task == "ner" else "AutoModelForSequenceClassification"
    card = f"""# {output_dir.name}

A {"BIOES NER" if task == "ner" else "text classification"} model fine-tuned with zhbert from
`{args.model_name_or_path}`.

## Data
{chr(10).join(f"- {split}: {n} examples" + (f" from `{f}`" if f else "") for split, (n, f) in sizes.items())}

## Labels
{", ".join(f"`{label}`" for label in labels)}

## Metrics
{"NER: seqeval, strict IOBES (`mode='strict', scheme=IOBES`), micro F1 over entities." if task == "ner" else ""}

| metric | value |
|---|---|
{rows}

## Command
```
{command}
```

## Use
```python
from zhbert import {api}
model = {api}.from_pretrained("{output_dir}")
print(model.predict(["..."]))
```
It also loads with plain transformers `{auto}`.
"""
    (output_dir / "README.md").write_text(card, encoding="utf-8")


def train(task: str, args: TaskArguments, training_args: Any, argv: Sequence[str]) -> dict[str, float]:
    from transformers import AutoTokenizer, EarlyStoppingCallback, set_seed

    set_seed(training_args.seed)
    tokenizer = AutoTokenizer.from_pretrained(args.model_name_or_path)
    if not tokenizer.is_fast:
        raise UsageError(f"{args.model_name_or_path}: zhbert needs a fast tokenizer (tokenizer.json or vocab.txt)")
    if task == "ner":
        from .train_ner import setup_ner

        setup = setup_ner(args, tokenizer, _splits)
    else:
        from .train_classify import setup_classify

        setup = setup_classify(args, tokenizer, _splits)
    _set_defaults(training_args, argv, bool(setup.dev), setup.metric)
    callbacks = []
    if setup.dev and training_args.load_best_model_at_end and args.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=args.early_stopping_patience))
    trainer = setup.make_trainer(training_args, callbacks)
    result = trainer.train()
    output_dir = Path(training_args.output_dir)
    trainer.save_model(str(output_dir))  # the best checkpoint when a dev set was given
    tokenizer.save_pretrained(str(output_dir))
    metrics: dict[str, float] = dict(result.metrics)
    if setup.dev:
        metrics.update(trainer.evaluate(metric_key_prefix="eval"))
    if setup.test:
        metrics.update(trainer.evaluate(setup.test, metric_key_prefix="test"))
    if training_args.should_save:
        scalars = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        trainer.save_metrics("all", scalars)
        (output_dir / "metrics_report.json").write_text(json.dumps(trainer.reports, indent=2, ensure_ascii=False))
        sizes = {
            "train": (len(setup.train), args.train_file),
            "dev": (len(setup.dev), args.validation_file),
            "test": (len(setup.test), args.test_file),
        }
        command = f"zhbert train {task} {shlex.join(argv)}"
        _model_card(output_dir, task, args, setup.labels, scalars, sizes, command)
    key = f"test_{setup.metric}" if setup.test else f"eval_{setup.metric}"
    if key in metrics:
        print(f"{key} {metrics[key]:.4f}", flush=True)
    return metrics


def main(argv: Sequence[str]) -> int:
    from transformers import HfArgumentParser, TrainingArguments

    argv = list(argv)
    if not argv or argv[0] not in ("classify", "ner"):
        print("usage: zhbert train {classify,ner} --model_name_or_path DIR --train_file FILE ...", file=sys.stderr)
        return 2
    task, rest = argv[0], argv[1:]
    parser = HfArgumentParser([TaskArguments, TrainingArguments], prog=f"zhbert train {task}")  # type: ignore[list-item]
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    try:
        args, training_args = parser.parse_args_into_dataclasses(args=rest)
        train(task, args, training_args, rest)
    except (ValueError, FileNotFoundError, OSError) as err:
        print(f"zhbert train {task}: error: {err}", file=sys.stderr)
        return 2
    return 0
