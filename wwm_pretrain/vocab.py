"""A vocabulary pruned to the tokens a corpus uses, for pretraining a small model from scratch.

``bert-base-chinese`` has 21,128 entries; Chinese text uses a third of them. At hidden size 256 the embedding
of the full vocabulary is 5.4M parameters, more than a 4-layer encoder, and the MLM head scores every entry at
every masked position. Pruning keeps the special tokens and every token the corpus uses at least
``min_count`` times, **in the original order**, so the result is a plain ``vocab.txt``:
``AutoTokenizer.from_pretrained`` and ``BertTokenizer`` read it as they read the original.

The mapping is saved beside it as ``pruned_vocab.json``: ``original_ids[i]`` is the id in the original
vocabulary of the token with id ``i`` in the pruned one. A token the pruned vocabulary lacks becomes ``[UNK]``;
WordPiece may also split a rare Latin word differently once some of its pieces are gone.

    python -m wwm_pretrain.vocab --tokenizer bert-base-chinese --min_count 2 --output_dir runs/vocab train.txt ...
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from zhbert.cli import ArgumentParser, option_strings, run_cli
from zhbert.errors import DataError, MissingFileError, UsageError
from zhbert.text.files import atomic_write, nonblank_lines

__all__ = ["PRUNED_VOCAB_FILE", "count_tokens", "main", "prune_vocab", "save_pruned_tokenizer"]

PRUNED_VOCAB_FILE = "pruned_vocab.json"
_BATCH = 2048


def count_tokens(tokenizer: Any, lines: Iterable[str]) -> Counter[int]:
    """How often each token id occurs when ``tokenizer`` encodes ``lines`` (without special tokens)."""
    counts: Counter[int] = Counter()
    texts = (line for line in lines if line.strip())
    while batch := list(islice(texts, _BATCH)):
        for ids in tokenizer(batch, add_special_tokens=False)["input_ids"]:
            counts.update(ids)
    return counts


def prune_vocab(tokenizer: Any, counts: Counter[int], min_count: int) -> list[int]:
    """The original ids to keep, ascending: the special tokens, and every token seen ``min_count`` times."""
    if min_count < 1:
        raise UsageError(f"min_count must be at least 1, got {min_count}", argument="min_count")
    special = set(tokenizer.all_special_ids)
    return sorted(special | {token for token, n in counts.items() if n >= min_count})


def save_pruned_tokenizer(tokenizer: Any, keep: Sequence[int], output_dir: str | Path, source: str) -> Any:
    """Write the pruned ``vocab.txt`` (tokens in the original order), a tokenizer saved from it, and
    ``pruned_vocab.json``; return the new tokenizer."""
    from transformers import BertTokenizer

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokens = tokenizer.convert_ids_to_tokens(list(keep))
    with atomic_write(out / "vocab.txt") as handle:
        handle.write("".join(f"{t}\n" for t in tokens))
    pruned = BertTokenizer(
        vocab={token: i for i, token in enumerate(tokens)},
        do_lower_case=getattr(tokenizer, "do_lower_case", True),
        tokenize_chinese_chars=True,
        model_max_length=tokenizer.model_max_length if tokenizer.model_max_length < 1e9 else 512,
    )
    if len(pruned) != len(tokens):
        raise DataError(f"{source}: the pruned vocabulary has repeated tokens ({len(tokens)} -> {len(pruned)})")
    pruned.save_pretrained(str(out))
    record = {"source": source, "original_size": len(tokenizer), "size": len(tokens), "original_ids": list(keep)}
    with atomic_write(out / PRUNED_VOCAB_FILE) as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return pruned


def _lines(paths: Sequence[str]) -> Iterable[str]:
    for path in paths:  # every file is checked before the first is read
        if not Path(path).is_file():
            raise MissingFileError(f"{path}: no such corpus file")
    return nonblank_lines(paths)


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m wwm_pretrain.vocab", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="corpus text files (UTF-8, one paragraph per line)")
    parser.add_argument("--tokenizer", required=True, help="the tokenizer to prune (directory or name)")
    parser.add_argument("--min_count", type=int, default=2, help="keep tokens seen at least this often")
    parser.add_argument("--output_dir", required=True, help="where the pruned tokenizer is written")

    def run() -> int:
        args = parser.parse_args(argv)
        from transformers import AutoTokenizer

        from zhbert.models import load_pretrained

        tokenizer = load_pretrained(AutoTokenizer, args.tokenizer)
        counts = count_tokens(tokenizer, _lines(args.files))
        keep = prune_vocab(tokenizer, counts, args.min_count)
        save_pruned_tokenizer(tokenizer, keep, args.output_dir, source=args.tokenizer)
        total = sum(counts.values())
        lost = sum(n for token, n in counts.items() if n < args.min_count)
        print(
            f"{len(keep)} of {len(tokenizer)} tokens kept (seen >= {args.min_count} times); "
            f"{lost} of {total} corpus tokens ({lost / max(total, 1):.4%}) become [UNK]; "
            f"written to {args.output_dir}"
        )
        return 0

    return run_cli(parser.prog, run, option_strings(parser))


if __name__ == "__main__":
    raise SystemExit(main())
