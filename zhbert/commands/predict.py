"""``zhbert predict``: label the texts of a file with a fine-tuned model, one JSON line per text; a tagger's
entities also as pre-annotations for the next batch in doccano or Label Studio.

zhbert predict --model DIR --input texts.txt --output predictions.jsonl
zhbert predict --model DIR --input texts.txt --output tasks.json --format label-studio   (import into Label Studio)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..cli import add_dtype_option, check_output, write_atomically
from ..errors import UsageError

__all__ = ["FORMATS", "add_parser", "run"]

FORMATS = ("jsonl", "doccano", "label-studio")


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "predict", help="label texts from a .txt (one per line), .csv, .tsv, .jsonl or .json file"
    )
    p.add_argument("--model", required=True, help="a directory written by zhbert train")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True, help="JSON lines, one per input text")
    p.add_argument("--text_column", "--text-column", default=None,
                   help="the text's column or field (default: the first of text, sentence, review, content, "
                   "sentence1 that the file has)")  # fmt: skip
    p.add_argument("--format", default="jsonl", choices=list(FORMATS),
                   help="jsonl: one JSON line per text; doccano (JSONL) or label-studio (tasks with predictions, "
                   "scored, model_version the model folder's name): a tagger's pre-annotations")  # fmt: skip
    p.add_argument("--batch_size", "--batch-size", type=int, default=32)
    p.add_argument("--device", default=None)
    add_dtype_option(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..models.loading import model_source

    check_output(args.output)
    model_source(args.model)  # a mistyped path fails here, before torch is imported

    from ..data.texts import read_texts
    from ..finetune.run import task_of_checkpoint

    inputs = read_texts(args.input, args.text_column)
    texts, pairs = inputs.texts, inputs.pairs
    task = task_of_checkpoint(args.model)
    if pairs is not None and task.name == "ner":
        raise UsageError(f"{args.input}: text pairs, but {args.model} is a tagger, which reads one text")
    if args.format != "jsonl" and task.name != "ner":
        raise UsageError(
            f"{args.model} is a classifier, and format {args.format} writes entities: use jsonl", argument="format"
        )
    predictor = task.load(args.model, device=args.device, dtype=args.dtype)
    if pairs is not None:
        results = predictor.predict(texts, batch_size=args.batch_size, text_pairs=pairs)
    else:
        results = predictor.predict(texts, batch_size=args.batch_size)
    if args.format != "jsonl":
        write_pre_annotations(args.output, args.format, texts, results, Path(args.model).resolve().name)
        lines = results
    else:
        lines = _json_lines(args.output, texts, pairs, results, task.name)
    skipped = inputs.skipped
    left_out = "line or empty text" if skipped == 1 else "lines or empty texts"
    note = f" ({skipped} blank {left_out} left out)" if skipped else ""
    print(f"zhbert predict: {len(lines)} predictions written to {args.output}{note}")
    return 0


def _json_lines(output: str, texts: list[str], pairs: list[str] | None, results: list[Any], task: str) -> list[Any]:
    from dataclasses import asdict

    lines = []
    for i, (text, result) in enumerate(zip(texts, results, strict=True)):
        shown = {"text": text} if pairs is None else {"text": text, "text_pair": pairs[i]}
        if task == "ner":
            lines.append({**shown, "entities": [asdict(e) for e in result]})
        else:
            lines.append({**shown, **asdict(result)})
    write_atomically(output, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    return lines


def write_pre_annotations(output: str, fmt: str, texts: list[str], results: list[Any], model_version: str) -> None:
    """A tagger's entities as the annotation tool imports them: doccano JSONL (``label`` shape) or Label Studio
    tasks with ``predictions`` (each region scored, ``model_version`` named)."""
    from ..data.annotations import write_doccano, write_label_studio
    from ..data.ner_example import NerExample

    examples = [
        NerExample(text, tuple((e.start, e.end, e.type) for e in found), f"{output}:{i + 1}")
        for i, (text, found) in enumerate(zip(texts, results, strict=True))
    ]
    if fmt == "doccano":
        write_doccano(output, examples)
    else:
        scores = [[e.score for e in found] for found in results]
        write_label_studio(output, examples, model_version=model_version, scores=scores)
