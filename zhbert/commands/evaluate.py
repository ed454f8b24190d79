"""``zhbert evaluate``: score a fine-tuned model on labelled data, in any format ``zhbert train`` reads.

zhbert evaluate --model DIR --test_file FILE [--output metrics.json] [--dtype float32] [--fix-tags]
zhbert evaluate --model DIR --test_file FILE --report DIR [--top 20] [--overwrite] [--cv K [--cv_base DIR]]

``--report DIR`` also writes an error report (docs/evaluating.md): per-label scores, a confusion matrix (PNG and
table), the wrong predictions most confident first, and likely label errors found by cleanlab, from out-of-fold
probabilities with ``--cv K``. It needs ``pip install zhbert[report]``.

It says which float type it computed in: ``--dtype float32`` reproduces the figures training wrote (training
scores in the float type of its weights, float32; ``auto`` picks bf16 where the hardware has it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..cli import add_dtype_option, add_ner_file_options, check_output, write_atomically
from ..errors import UsageError

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
    r = p.add_argument_group("error report (pip install zhbert[report]; docs/evaluating.md)")
    r.add_argument("--report", default=None, metavar="DIR", help="write an error report into this new folder")
    r.add_argument("--top", type=int, default=20, help="errors and label issues shown on the report's pages")
    r.add_argument("--overwrite", action="store_true", help="replace a report folder that holds files")
    r.add_argument("--cv", type=int, default=None, metavar="K", help="label issues from K-fold out-of-fold models")
    r.add_argument("--cv_base", "--cv-base", default=None, help="base of the fold models (default: the model card's)")
    r.add_argument("--cv_epochs", "--cv-epochs", type=float, default=3.0)
    r.add_argument("--cv_learning_rate", "--cv-learning-rate", type=float, default=5e-5)
    r.add_argument("--cv_batch_size", "--cv-batch-size", type=int, default=32)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import logging

    from ..models.loading import model_source

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)

    check_output(args.output)
    model_source(args.model)  # a mistyped path fails here, before torch is imported
    folds = None
    if args.report is not None:
        from ..finetune.report import FoldSettings, check_report

        base = check_report(args.report, args.model, args.top, args.cv, args.cv_base, args.overwrite)
        folds = FoldSettings(base, args.cv_epochs, args.cv_learning_rate, args.cv_batch_size) if base else None
    elif args.cv is not None or args.cv_base is not None:
        raise UsageError("--cv finds label errors for an error report: give --report DIR too", argument="report")

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
    if args.report is not None:
        from ..finetune.report import run_report

        summary = run_report(args.report, task, predictor, examples, top=args.top, cv=args.cv, fold_settings=folds,
                             overwrite=args.overwrite, batch_size=args.batch_size,
                             title=f"{Path(args.model).name} on {Path(args.test_file).name}")  # fmt: skip
        print(f"zhbert evaluate: report in {args.report} ({summary['errors']} errors, {summary['label_issues']} "
              "likely label errors)", file=sys.stderr)  # fmt: skip
    return 0
