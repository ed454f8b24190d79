"""``zhbert evaluate``: score a fine-tuned model on labelled data, in any format ``zhbert train`` reads.

zhbert evaluate --model DIR --test_file FILE [--output metrics.json] [--dtype float32] [--fix-tags]

It says which float type it computed in: ``--dtype float32`` reproduces the figures training wrote (training
scores in the float type of its weights, float32; ``auto`` picks bf16 where the hardware has it).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..cli import add_dtype_option, add_ner_file_options, check_output, write_atomically

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser("evaluate", help="score a fine-tuned model on labelled data")
    p.add_argument("--model", required=True, help="a directory written by zhbert train")
    p.add_argument("--test_file", "--test-file", required=True)
    p.add_argument("--text_column", "--text-column", default=None)
    p.add_argument("--label_column", "--label-column", default="label")
    p.add_argument("--scheme", default="auto", help="NER tag scheme: auto, BIO/IOB2, BIOES or BMES")
    add_ner_file_options(p)
    p.add_argument("--batch_size", "--batch-size", type=int, default=32)
    p.add_argument("--device", default=None)
    add_dtype_option(p)
    p.add_argument("--output", default=None, help="also write the metrics as JSON here")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import logging

    from ..models.loading import model_source

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)

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
        fix_tags=args.fix_tags,
        format=args.format,
        offsets=args.offsets,
        annotator=args.annotator,
        overlaps=args.overlaps,
    )
    task = task_of_checkpoint(args.model, options)
    examples = task.read(args.test_file)  # before the model: a bad file fails fast
    predictor = task.load(args.model, device=args.device, dtype=args.dtype)
    dtype = str(predictor.dtype).removeprefix("torch.")
    print(f"zhbert evaluate: {dtype} on {predictor.device} (--dtype {args.dtype})", file=sys.stderr)
    task.check_labels(examples, task.model_labels(predictor))
    scores = task.score(predictor, examples, batch_size=args.batch_size)
    report = json.dumps(scores, ensure_ascii=False, indent=2)
    if args.output:
        write_atomically(args.output, report + "\n")
    print(report)
    print(f"test_{task.metric} {scores[task.metric]:.4f}")
    return 0
