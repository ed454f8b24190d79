"""``zhbert preview``: segment a text and show one whole-word masking draw.

zhbert preview "中华人民共和国刑法规定" [--segmenter jieba|ltp|char] [--user-dict FILE] [--seed N]
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser("preview", help="segment a text and show one whole-word masking draw")
    p.add_argument("text", nargs="+", help="one or more texts")
    p.add_argument("--segmenter", choices=["jieba", "ltp", "char"], default="jieba")
    p.add_argument("--user-dict", help="jieba-format user dictionary (word [freq] [tag] per line)")
    p.add_argument("--ltp-model", help="LTP model directory (with --segmenter ltp)")
    p.add_argument("--tokenizer", help="tokenizer directory (default: the bundled bert-base-chinese vocab)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mlm-probability", type=float, default=0.15)
    p.add_argument("--max-ngram", type=int, default=1)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from transformers import AutoTokenizer

    from ..mlm.preview import mask_preview
    from ..models.loading import load_pretrained
    from ..resources import BERT_BASE_CHINESE_DIR
    from ..text import get_segmenter

    tokenizer = load_pretrained(AutoTokenizer, args.tokenizer or str(BERT_BASE_CHINESE_DIR))
    segmenter = get_segmenter(args.segmenter, user_dict=args.user_dict, ltp_model=args.ltp_model)
    for text in args.text:
        view = mask_preview(
            text, tokenizer, segmenter, seed=args.seed, mlm_probability=args.mlm_probability, max_ngram=args.max_ngram
        )
        print(f"text:    {view.text}")
        print(f"words:   {' / '.join(w.text for w in view.words)}")
        print(f"masked:  {view.render()}")
        print(f"input:   {view.masked_input}")
    return 0
