"""``zhbert data check``: read an entity file as ``zhbert train ner`` would, and say what it holds, before any
training starts.

    zhbert data check FILE [--format auto] [--offsets auto] [--annotator first] [--max_seq_length 256]
                           [--tokenizer DIR] [--examples 3]

It prints the format and how the file was read (entities read, repaired, refused, overlapping, the Weibo
position-digit decision, invalid tag sequences), entities per type, duplicate and empty texts, how many entities
end past ``--max_seq_length`` tokens (training splits such texts into windows), and a few texts with the tags a
tagger is trained on. Exit 0 when the file reads, 2 with one line when it does not.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..cli import FORMAT_HELP
from ..errors import UsageError

__all__ = ["add_parser", "check", "run"]

SHOWN_CHARS = 60  # characters of each shown text


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser("data", help="check a data file before training (zhbert data check)")
    actions = p.add_subparsers(dest="action", metavar="{check}", parser_class=type(p))
    about = "read an entity file as zhbert train ner would, and report what it holds"
    c = actions.add_parser("check", help=about, description=about)
    c.add_argument("file", help="tag file, doccano, Label Studio, CMeEE, CLUENER or BRAT export")

    c.add_argument("--format", default="auto", help=FORMAT_HELP)
    c.add_argument("--offsets", default="auto", choices=["auto", "codepoints", "utf16"])
    c.add_argument("--annotator", default="first", help="first, latest or an annotator's id (Label Studio)")
    c.add_argument("--scheme", default="auto", help="tag scheme of tag files: auto, BIO/IOB2, BIOES or BMES")
    c.add_argument("--max_seq_length", "--max-seq-length", type=int, default=256)
    c.add_argument("--tokenizer", default=None, help="a tokenizer folder (default: the bundled bert-base-chinese)")
    c.add_argument("--examples", type=int, default=3, help="how many texts to show with their tags")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    if args.action is None:
        raise UsageError("choose an action: zhbert data check FILE (see --help)")
    if args.max_seq_length < 3:
        raise UsageError(f"max_seq_length must be at least 3, got {args.max_seq_length}", argument="max_seq_length")
    for line in check(args):
        print(line)
    return 0


def check(args: argparse.Namespace) -> list[str]:
    """The report's lines."""
    from ..data.annotations import flatten, read_annotations
    from ..data.annotations.formats import detect_format
    from ..data.ner import read_ner_data
    from ..text.files import read_utf8

    path = args.file
    fmt = args.format
    if fmt == "auto":
        from pathlib import Path

        p = Path(path)
        fmt = detect_format(p, None if p.is_dir() or p.suffix == ".ann" else read_utf8(p))
    lines: list[str] = []
    if fmt == "tags":
        reader_log = logging.getLogger("zhbert.data.ner")
        level = reader_log.level
        reader_log.setLevel(logging.ERROR)  # its note is a line of the report below, not a warning
        try:
            data = read_ner_data(path, scheme=args.scheme, fix_tags=True, format="tags")
        finally:
            reader_log.setLevel(level)
        examples = data.examples
        lines.append(f"{path}: tags ({data.scheme}), {len(examples):,} texts")
        if data.note:
            lines.append(f"  {data.note}")
        flat = examples
    else:
        read = read_annotations(path, format=args.format, offsets=args.offsets, annotator=args.annotator, strict=False)
        examples = read.examples
        lines += read.report.summary().split("\n")
        flat, dropped = flatten(examples, "longest")
        if dropped:
            lines.append(f"  a tagger keeps one entity per character: {len(dropped):,} would be left out (overlaps)")
    types = Counter(kind for e in examples for _, _, kind in e.spans)
    shown = ", ".join(f"{kind} {n:,}" for kind, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0])))
    lines.append(f"entities: {sum(types.values()):,} ({shown or 'none'})")
    texts = Counter(e.text for e in examples)
    repeated = sum(n - 1 for n in texts.values() if n > 1)
    empty = sum(1 for e in examples if not e.text.strip())
    lines.append(f"duplicate texts: {repeated:,}; empty texts: {empty:,}")
    lines.append(_past_length(examples, args.tokenizer, args.max_seq_length))
    lines += _shown(flat, args.examples)
    return lines


def _past_length(examples: Sequence[Any], tokenizer_dir: str | None, max_length: int) -> str:
    """How many entities end past ``max_length`` tokens ([CLS] and [SEP] counted) of their text."""
    from transformers import AutoTokenizer

    from ..models.loading import load_pretrained
    from ..resources import BERT_BASE_CHINESE_DIR

    tokenizer = load_pretrained(AutoTokenizer, tokenizer_dir or BERT_BASE_CHINESE_DIR)
    limit = max_length - 2
    past = texts = 0
    for example in examples:
        if not example.spans:
            continue
        offsets = tokenizer(example.text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        if len(offsets) <= limit:
            continue
        texts += 1
        cut = offsets[limit][0]  # the first character of the first token past the window
        past += sum(1 for _, end, _ in example.spans if end > cut)
    return (
        f"past {max_length} tokens: {past:,} entities in {texts:,} texts "
        "(training splits long texts into windows; inference runs overlapping windows)"
    )


def _shown(examples: Sequence[Any], count: int) -> list[str]:
    """A few texts with entities, each character with the BIOES tag a tagger is trained on."""
    from ..tagging.schemes import spans_to_bioes

    lines = []
    for example in [e for e in examples if e.spans][:count]:
        tags = spans_to_bioes(example.spans, len(example.text))
        pairs = " ".join(f"{_char(c)}/{t}" for c, t in zip(example.text[:SHOWN_CHARS], tags, strict=False))
        more = " ..." if len(example.text) > SHOWN_CHARS else ""
        lines.append(f"{example.source}: {pairs}{more}")
    return lines


def _char(char: str) -> str:
    """A character as shown beside its tag: spaces and line breaks made visible."""
    if char == " ":
        return "\u2423"
    return char if char.isprintable() else repr(char)[1:-1]
