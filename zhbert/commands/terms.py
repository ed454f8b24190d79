"""``zhbert terms``: the terms of a corpus that jieba's dictionary lacks, written as a user dictionary.

zhbert terms CORPUS [CORPUS ...] -o terms.txt [--top N] [--min-count N] [--max-len N] [--processes N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..cli import check_output
from ..errors import DataError, UsageError

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "terms",
        help="find the terms of a corpus that jieba's dictionary lacks, as a user dictionary",
        description="Find frequent, cohesive runs of Chinese characters that are free on both sides (cohesion: "
        "the smallest PMI over the ways to cut a term in two; left and right branching entropy) and write them "
        "in jieba's user-dictionary format (word freq tag), with their statistics in a .tsv file beside it.",
    )
    p.add_argument("corpus", nargs="+", help="UTF-8 text files, one paragraph per line")
    p.add_argument("-o", "--output", required=True, help="the dictionary to write, e.g. terms.txt")
    p.add_argument("--top", type=int, default=None, help="keep the N best terms (default: all that pass)")
    p.add_argument("--min-count", "--min_count", type=int, default=5, help="fewest occurrences (default 5)")
    p.add_argument("--max-len", "--max_len", type=int, default=6, help="longest term in characters (default 6)")
    p.add_argument("--min-cohesion", "--min_cohesion", type=float, default=4.0, help="default 4.0")
    p.add_argument("--min-entropy", "--min_entropy", type=float, default=1.0, help="nats, default 1.0")
    p.add_argument("--processes", type=int, default=1, help="worker processes that count (default 1)")
    p.add_argument("--include-known", "--include_known", action="store_true",
                   help="keep words that jieba's dictionary already has")  # fmt: skip
    p.add_argument("--no-compounds", "--no_compounds", action="store_true",
                   help="leave out terms that jieba's dictionary cuts into words of 2+ characters alone "
                   "(有关部门 = 有关 + 部门): new words only, for a dictionary meant to improve "
                   "segmentation")  # fmt: skip
    p.add_argument("--tag", default="nz", help="part-of-speech tag written for every term (default nz)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..data.texts import CorpusLines
    from ..terms import discover_terms, write_user_dict

    output = Path(args.output)
    if output.suffix.lower() == ".tsv":
        raise UsageError(
            f"{output}: the statistics go to a .tsv file beside the dictionary; name it .txt", argument="output"
        )
    check_output(args.output)
    corpus = CorpusLines(args.corpus)
    terms = discover_terms(
        corpus,
        max_len=args.max_len,
        min_count=args.min_count,
        min_cohesion=args.min_cohesion,
        min_entropy=args.min_entropy,
        top_k=args.top,
        exclude_known=not args.include_known,
        compounds=not args.no_compounds,
        processes=args.processes,
        progress=sys.stderr.isatty() and not args.quiet,
    )
    if not corpus.count:
        raise DataError(f"{', '.join(args.corpus)}: the corpus holds no text")
    written = write_user_dict(terms, output, tag=args.tag)
    print(
        f"zhbert terms: {len(terms)} terms from {corpus.count:,} lines written to {written[0]} "
        f"(statistics in {written[1]})"
    )
    return 0
