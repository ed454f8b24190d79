"""``zhbert export``: a fine-tuned model as an ONNX graph (and an int8 one), verified before it is written.

zhbert export MODEL OUT [--quantize int8] [--overwrite] [--allow-slow-int8] [--sample FILE] [--threads N]

OUT then holds the graph, the tokenizer, config.json, a tagger's decoding matrices and zhbert_export.json
(docs/export.md); ``TextClassifier``, ``EntityTagger`` and ``MaskFiller`` load it with ``from_pretrained(OUT)``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "export", help="export a classifier, tagger or masked-language model to ONNX (optionally int8)"
    )
    p.add_argument("model", help="a directory written by zhbert train or wwm-pretrain")
    p.add_argument("out", help="the directory to write (new or empty, unless --overwrite)")
    p.add_argument("--quantize", choices=["int8"], default=None, help="also write a dynamically quantized int8 graph")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty OUT")
    p.add_argument(
        "--allow-slow-int8",
        "--allow_slow_int8",
        action="store_true",
        help="quantize even on a CPU without int8 dot-product instructions (VNNI, AMX, arm dotprod)",
    )
    p.add_argument("--sample", default=None, help="a text file, one sentence a line, to verify the export on")
    p.add_argument("--threads", type=int, default=None, help="ONNX Runtime threads for the checks")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..errors import MissingFileError
    from ..export import export_model

    texts = None
    if args.sample is not None:
        path = Path(args.sample)
        if not path.is_file():
            raise MissingFileError(f"{args.sample}: no such file")
        texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = export_model(
        args.model,
        args.out,
        quantize=args.quantize,
        texts=texts,
        overwrite=args.overwrite,
        allow_slow_int8=args.allow_slow_int8,
        threads=args.threads,
    )
    checks = result.info["verification"]
    print(f"zhbert export: {result.kind} -> {result.out_dir}")
    print(f"  graphs: {', '.join(result.info['graphs'].values())}")
    for name, figures in checks.items():
        if isinstance(figures, dict):
            print(f"  {name}: {json.dumps(figures)}")
    return 0
