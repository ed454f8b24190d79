"""``zhbert evaluate``: score a fine-tuned model on labelled data.

zhbert evaluate --model DIR --test_file FILE [--output metrics.json]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..cli import add_dtype_option, check_output, write_atomically

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser("evaluate", help="score a fine-tuned model on labelled data")
    p.add_argument("--model", required=True, help="a directory written by zhbert train")
    p.add_argument("--test_file", "--test-file", required=True)
    p.add_argument("--text_column", "--text-column", default=None)
    p.add_argument("--label_column", "--label-column", default="label")
    p.add_argument("--scheme", default="auto", help="NER tag scheme: auto, BIO/IOB2, BIOES or BMES")
    p.add_argument("--batch_size", "--batch-size", type=int, default=32)
    p.add_argument("--device", default=None)
    add_dtype_option(p)
    p.add_argument("--output", default=None, help="also write the metrics as JSON here")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..models.loading import model_source

    check_output(args.output)
    model_source(args.model)  # a mistyped path fails here, before torch is imported

    from ..finetune.arguments import TaskArguments
    from ..finetune.run import task_of_checkpoint

    options = TaskArguments(
        model_name_or_path=args.model,
        train_file="",
        text_column=args.text_column,
        label_column=args.label_column,
        scheme=args.scheme,
    )
    task = task_of_checkpoint(args.model, options)
    examples = task.read(args.test_file)  # before the model: a bad file fails fast
    predictor = task.load(args.model, device=args.device, dtype=args.dtype)
    task.check_labels(examples, task.model_labels(predictor))
    scores = task.score(predictor, examples, batch_size=args.batch_size)
    report = json.dumps(scores, ensure_ascii=False, indent=2)
    if args.output:
        write_atomically(args.output, report + "\n")
    print(report)
    print(f"test_{task.metric} {scores[task.metric]:.4f}")
    return 0
