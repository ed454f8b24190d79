"""The ``zhbert`` command line, and the one error handler of every zhbert entry point.

zhbert preview "中华人民共和国刑法规定" [--segmenter jieba|ltp|char] [--user-dict FILE] [--seed N]
zhbert train {classify,ner} --model_name_or_path DIR --train_file FILE ...   (or: zhbert train ner args.json)
zhbert evaluate --model DIR --test_file FILE      zhbert predict --model DIR --input FILE --output FILE
zhbert terms CORPUS [CORPUS ...] -o terms.txt [--top N] [--min-count N] [--max-len N] [--processes N] [--no-compounds]
zhbert demo ...      zhbert build-demo-models ...   (commands of the demo package, found by entry point)

A user's mistake (any ``ZhbertError``, or an ``OSError`` such as a full disk) is reported as one line,
``<command>: error: <message>``, with exit status 2; ``ZHBERT_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .errors import UsageError, ZhbertError

__all__ = [
    "ArgumentParser",
    "add_dtype_option",
    "dataclass_parser",
    "json_to_flags",
    "main",
    "parse_dataclasses",
    "run_cli",
    "write_atomically",
]

COMMANDS_GROUP = "zhbert.commands"  # entry points of commands that live above the library (the demo)


class ArgumentParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose errors are ``UsageError``: reported by ``run_cli`` in one line."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see --help)")

    def subcommands(self) -> dict[str, argparse.ArgumentParser]:
        """The parsers of the subcommands, by name."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}


def _hint(err: ZhbertError, flags: Iterable[str]) -> str:
    """The command line's own flag for the argument an error names, when the command has one."""
    if err.argument is None:
        return ""
    known = set(flags)
    for flag in (f"--{err.argument}", f"--{err.argument.replace('_', '-')}"):
        if flag in known:
            return f" (see {flag})"
    return ""


def option_strings(parser: argparse.ArgumentParser | None) -> list[str]:
    """Every flag a parser takes."""
    if parser is None:
        return []
    return [flag for action in parser._actions for flag in action.option_strings]


def add_dtype_option(parser: argparse.ArgumentParser) -> None:
    """``--dtype auto|bf16|float32``, the float type inference runs in (``zhbert.models.precision``)."""
    parser.add_argument(
        "--dtype",
        default="auto",
        choices=["auto", "bf16", "float32"],
        help="float type of the models (auto: bf16 where the CPU or GPU computes it natively, else float32)",
    )


def run_cli(prog: str, body: Callable[[], int | None], flags: Iterable[str] = ()) -> int:
    """Run one command: its exit status, or 2 after one line on stderr for a user's mistake.

    Args:
        prog: the command as the user typed it, e.g. ``"zhbert train ner"``.
        body: the command's work.
        flags: the command's flags, so that an error naming an argument can point at its flag.
    """
    try:
        return int(body() or 0)
    except (ZhbertError, OSError) as err:
        if os.environ.get("ZHBERT_DEBUG"):
            raise
        hint = _hint(err, flags) if isinstance(err, ZhbertError) else ""
        message = " ".join(str(err).split("\n")) or type(err).__name__
        print(f"{prog}: error: {message}{hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def dataclass_parser(types: Sequence[Any], prog: str) -> Any:
    """An ``HfArgumentParser`` over ``types`` whose errors are ``UsageError`` (one line through ``run_cli``)."""
    from transformers import HfArgumentParser

    class Parser(HfArgumentParser):
        error = ArgumentParser.error

    return Parser(list(types), prog=prog)


def parse_dataclasses(parser: Any, argv: Sequence[str]) -> tuple[Any, ...]:
    """Flags, or one ``.json`` file of them, into the parser's dataclasses; TrainingArguments' own checks of flag
    combinations are raised as ``UsageError``."""
    flags = json_to_flags(argv[0]) if len(argv) == 1 and argv[0].endswith(".json") else list(argv)
    try:
        return tuple(parser.parse_args_into_dataclasses(args=flags))
    except ValueError as err:
        if isinstance(err, ZhbertError):
            raise
        raise UsageError(str(err)) from None


def json_to_flags(path: str | os.PathLike[str]) -> list[str]:
    """One JSON object of flag names and values, turned into flags so that the parser checks and converts them."""
    from .text.files import read_utf8

    path = Path(path)
    try:
        values = json.loads(read_utf8(path))
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}: not a JSON object of arguments ({err})") from None
    if not isinstance(values, dict):
        raise UsageError(f"{path}: expected a JSON object of arguments, got {type(values).__name__}")
    flags: list[str] = []
    for key, value in values.items():
        if value is None:
            continue
        flags.append(f"--{key}")
        if isinstance(value, bool):
            flags.append(str(value).lower())
        elif isinstance(value, list):
            flags.extend(str(v) for v in value)
        else:
            flags.append(str(value))
    return flags


def write_atomically(path: str | os.PathLike[str], content: str) -> None:
    """Write ``content`` beside ``path`` and rename it into place: the file is complete or absent."""
    from .text.files import atomic_write

    with atomic_write(path) as handle:
        handle.write(content)


# --- commands ----------------------------------------------------------------------------------------------


def _preview(args: argparse.Namespace) -> int:
    from transformers import AutoTokenizer

    from .mlm.preview import mask_preview
    from .models.loading import load_pretrained
    from .resources import BERT_BASE_CHINESE_DIR
    from .text.segment import get_segmenter

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


def _task_options(args: argparse.Namespace) -> Any:
    from .finetune.arguments import TaskArguments

    return TaskArguments(
        model_name_or_path=args.model,
        train_file="",
        text_column=getattr(args, "text_column", None),
        label_column=getattr(args, "label_column", "label"),
        scheme=getattr(args, "scheme", "auto"),
    )


def _check_output(path: str | None) -> None:
    """Refuse an ``--output`` that cannot be written before any work is done."""
    from .errors import MissingFileError

    if path is None:
        return
    output = Path(path)
    if output.is_dir():
        raise UsageError(f"{output}: a folder; --output names the file to write", argument="output")
    if not output.parent.is_dir():
        raise MissingFileError(f"{output}: the folder {output.parent} does not exist", argument="output")


def _evaluate(args: argparse.Namespace) -> int:
    from .finetune.run import task_of_checkpoint

    _check_output(args.output)
    task = task_of_checkpoint(args.model, _task_options(args))
    examples = task.read(args.test_file)  # before the model: a bad file fails fast
    predictor = task.load(args.model, device=args.device, dtype=args.dtype)
    task.check_labels(examples, task.model_labels(predictor))
    scores = task.score(predictor, examples, batch_size=args.batch_size)
    report = json.dumps(scores, ensure_ascii=False, indent=2)
    if args.output:
        write_atomically(args.output, report + "\n")
    print(report)
    print(f"test_{task.metric} {scores[task.metric]:.4f}")
    return 0


def _read_inputs(path: str, text_column: str | None) -> tuple[list[str], list[str] | None, int]:
    """The texts to label (and their pairs, when a table or JSON file has them), and how many blank lines or
    empty texts were left out. ``.txt``: one text per line; ``.csv``, ``.tsv``, ``.jsonl`` and ``.json``: as
    ``zhbert train`` reads them, labels not needed."""
    from .data.classification import read_cls_file
    from .errors import DataError, MissingFileError
    from .text.files import decode_line

    file = Path(path)
    if file.is_dir():
        raise UsageError(f"{file}: a folder; give one file of texts", argument="input")
    if not file.is_file():
        raise MissingFileError(f"input not found: {file}")
    suffix = file.suffix.lower()
    if suffix in (".csv", ".tsv", ".jsonl", ".json"):
        data = read_cls_file(file, text_column=text_column, label_column=None)
        pairs = [e.text_pair for e in data.examples]
        if any(p is None for p in pairs):
            return [e.text for e in data.examples], None, data.skipped_empty
        return [e.text for e in data.examples], [p for p in pairs if p is not None], data.skipped_empty
    if suffix != ".txt":
        raise DataError(
            f"{file}: unknown suffix {suffix!r}; expected .txt (one text per line), .csv, .tsv, .jsonl or .json"
        )
    texts, blank = [], 0
    with file.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            line = decode_line(raw, file, lineno).rstrip("\r\n")
            if line.strip():
                texts.append(line)
            else:
                blank += 1
    return texts, None, blank


def _predict(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .finetune.run import task_of_checkpoint

    _check_output(args.output)
    texts, pairs, skipped = _read_inputs(args.input, args.text_column)
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
    left_out = "line or empty text" if skipped == 1 else "lines or empty texts"
    note = f" ({skipped} blank {left_out} left out)" if skipped else ""
    print(f"zhbert predict: {len(lines)} predictions written to {args.output}{note}")
    return 0


def _corpus_lines(paths: Sequence[str], seen: list[int]) -> Iterable[str]:
    """The non-blank lines of UTF-8 text files, one paragraph each; ``seen[0]`` counts them."""
    from .text.files import decode_line

    for path in paths:
        with open(path, "rb") as handle:
            for lineno, raw in enumerate(handle, start=1):
                line = decode_line(raw, path, lineno).rstrip("\r\n")
                if line.strip():
                    seen[0] += 1
                    yield line


def _terms(args: argparse.Namespace) -> int:
    from .errors import DataError, MissingFileError
    from .text.terms import discover_terms, write_user_dict

    output = Path(args.output)
    if output.suffix.lower() == ".tsv":
        raise UsageError(
            f"{output}: the statistics go to a .tsv file beside the dictionary; name it .txt", argument="output"
        )
    _check_output(args.output)
    for path in args.corpus:
        if Path(path).is_dir():
            raise UsageError(f"{path}: a folder; give the text files in it ({Path(path, '*.txt')})", argument="corpus")
        if not Path(path).is_file():
            raise MissingFileError(f"corpus not found: {path}")
    seen = [0]
    terms = discover_terms(
        _corpus_lines(args.corpus, seen),
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
    if not seen[0]:
        raise DataError(f"{', '.join(args.corpus)}: the corpus holds no text")
    written = write_user_dict(terms, output, tag=args.tag)
    print(
        f"zhbert terms: {len(terms)} terms from {seen[0]:,} lines written to {written[0]} (statistics in {written[1]})"
    )
    return 0


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="zhbert",
        description="Chinese BERT made practical.",
        epilog="Also: zhbert train {classify,ner} ..., zhbert demo [--help], zhbert build-demo-models [--help].",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    p = sub.add_parser("preview", help="segment a text and show one whole-word masking draw")
    p.add_argument("text", nargs="+", help="one or more texts")
    p.add_argument("--segmenter", choices=["jieba", "ltp", "char"], default="jieba")
    p.add_argument("--user-dict", help="jieba-format user dictionary (word [freq] [tag] per line)")
    p.add_argument("--ltp-model", help="LTP model directory (with --segmenter ltp)")
    p.add_argument("--tokenizer", help="tokenizer directory (default: the bundled bert-base-chinese vocab)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mlm-probability", type=float, default=0.15)
    p.add_argument("--max-ngram", type=int, default=1)
    p.set_defaults(func=_preview)

    p = sub.add_parser("evaluate", help="score a fine-tuned model on labelled data")
    p.add_argument("--model", required=True, help="a directory written by zhbert train")
    p.add_argument("--test_file", "--test-file", required=True)
    p.add_argument("--text_column", "--text-column", default=None)
    p.add_argument("--label_column", "--label-column", default="label")
    p.add_argument("--scheme", default="auto", help="NER tag scheme: auto, BIO/IOB2, BIOES or BMES")
    p.add_argument("--batch_size", "--batch-size", type=int, default=32)
    p.add_argument("--device", default=None)
    add_dtype_option(p)
    p.add_argument("--output", default=None, help="also write the metrics as JSON here")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("predict", help="label texts from a .txt (one per line), .csv, .tsv, .jsonl or .json file")
    p.add_argument("--model", required=True, help="a directory written by zhbert train")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True, help="JSON lines, one per input text")
    p.add_argument("--text_column", "--text-column", default=None,
                   help="the text's column or field (default: the first of text, sentence, review, content, "
                   "sentence1 that the file has)")  # fmt: skip
    p.add_argument("--batch_size", "--batch-size", type=int, default=32)
    p.add_argument("--device", default=None)
    add_dtype_option(p)
    p.set_defaults(func=_predict)

    p = sub.add_parser(
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
    p.set_defaults(func=_terms)
    return parser


def _train(argv: list[str]) -> int:
    import logging

    from .finetune.arguments import FinetuneArguments, TaskArguments
    from .finetune.run import TASKS, finetune

    if not argv or argv[0] not in TASKS:
        return run_cli("zhbert train", lambda: _usage("choose a task: zhbert train {classify,ner} ... (see --help)"))
    task, rest = argv[0], argv[1:]
    prog = f"zhbert train {task}"
    parser = dataclass_parser([TaskArguments, FinetuneArguments], prog)

    def body() -> int:
        args, training_args = parse_dataclasses(parser, rest)
        finetune(task, args, training_args, command=f"{prog} {shlex.join(rest)}")
        return 0

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    return run_cli(prog, body, option_strings(parser))


def _usage(message: str) -> NoReturn:
    raise UsageError(message)


def plugin_commands() -> dict[str, Any]:
    """Commands that packages above the library register under the ``zhbert.commands`` entry-point group."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=COMMANDS_GROUP)}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "train":
        return _train(argv[1:])
    parser = build_parser()
    sub = parser.subcommands().get(argv[0]) if argv else None
    if sub is None and argv and not argv[0].startswith("-"):  # the entry points are read for other names only
        plugin = plugin_commands().get(argv[0])
        if plugin is not None:
            return int(plugin.load()(argv[1:]))
    prog = f"zhbert {argv[0]}" if sub is not None else "zhbert"

    def body() -> int:
        args = parser.parse_args(argv)
        return int(args.func(args))

    return run_cli(prog, body, option_strings(sub))


if __name__ == "__main__":
    sys.exit(main())
