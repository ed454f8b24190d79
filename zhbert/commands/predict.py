"""``zhbert predict``: label the texts of a file with a fine-tuned model, one JSON line per text.

zhbert predict --model DIR --input texts.txt --output predictions.jsonl
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..cli import add_dtype_option, check_output, write_atomically
from ..errors import UsageError

__all__ = ["add_parser", "run"]


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
    p.add_argument("--batch_size", "--batch-size", type=int, default=32)
    p.add_argument("--device", default=None)
    add_dtype_option(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

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
    predictor = task.load(args.model, device=args.device, dtype=args.dtype)
    if pairs is not None:
        results = predictor.predict(texts, batch_size=args.batch_size, text_pairs=pairs)
    else:
        results = predictor.predict(texts, batch_size=args.batch_size)
    lines = []
    for i, (text, result) in enumerate(zip(texts, results, strict=True)):
        shown = {"text": text} if pairs is None else {"text": text, "text_pair": pairs[i]}
        if task.name == "ner":
            lines.append({**shown, "entities": [asdict(e) for e in result]})
        else:
            lines.append({**shown, **asdict(result)})
    write_atomically(args.output, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    skipped = inputs.skipped
    left_out = "line or empty text" if skipped == 1 else "lines or empty texts"
    note = f" ({skipped} blank {left_out} left out)" if skipped else ""
    print(f"zhbert predict: {len(lines)} predictions written to {args.output}{note}")
    return 0
