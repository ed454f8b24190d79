"""``zhbert train``: fine-tune a classifier or an entity tagger, from flags or one ``.json`` file of them.

    zhbert train {classify,ner} --model_name_or_path DIR --train_file FILE --output_dir DIR ...
    zhbert train ner args.json

The task's flags come first in ``--help``; every ``TrainingArguments`` flag follows in a group of its own.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from ..cli import dataclass_parser, option_strings, parse_dataclasses, run_cli
from ..errors import UsageError

__all__ = ["TASKS", "add_parser", "run"]

TASKS = {
    "classify": "fine-tune a text (or text-pair) classifier on a .csv, .tsv, .jsonl or .json file",
    "ner": "fine-tune an entity tagger on tag files (BIO, BIOES, BMES) or doccano, Label Studio, CMeEE, CLUENER "
    "or BRAT exports",
}


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "train",
        help="fine-tune a classifier or an entity tagger (zhbert train {classify,ner} --help)",
        description="Fine-tune a BERT checkpoint, from flags or one .json file of them; "
        "zhbert train TASK --help lists the task's flags.",
    )
    tasks = p.add_subparsers(dest="task", metavar="{classify,ner}", parser_class=type(p))
    for name, help_text in TASKS.items():
        # The task's flags are parsed by its dataclass parser (``run``): argparse passes them on unread.
        tasks.add_parser(name, help=help_text, add_help=False)
    p.set_defaults(func=run, takes_flags=True)
    return p


def run(args: argparse.Namespace) -> int:
    if args.task is None:
        raise UsageError("choose a task: zhbert train {classify,ner} ... (see --help)")
    return train(args.task, list(args.flags))


def train(task: str, argv: list[str]) -> int:
    """Fine-tune for ``task`` on flags (or one ``.json`` file of them): the exit status, after one line on stderr
    for a user's mistake."""
    import logging

    from ..finetune.arguments import FinetuneArguments, TaskArguments
    from ..finetune.run import finetune

    prog = f"zhbert train {task}"
    parser = dataclass_parser([TaskArguments, FinetuneArguments], prog)
    parser.usage = (  # instead of every flag of TrainingArguments
        "%(prog)s --model_name_or_path DIR --train_file FILE [--output_dir DIR] [FLAG VALUE ...]\n"
        "       %(prog)s ARGS.json   (one JSON object of the same flags)"
    )

    def body() -> int:
        args, training_args = parse_dataclasses(parser, argv)
        finetune(task, args, training_args, command=f"{prog} {shlex.join(argv)}")
        return 0

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    return run_cli(prog, body, option_strings(parser))
