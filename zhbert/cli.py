"""The toolkit of every zhbert command line: the one error handler (``run_cli``), parsers whose errors it
reports, dataclass arguments from flags or one JSON file, and the checks and writes commands share.

The ``zhbert`` command itself is ``zhbert.commands``; ``wwm-pretrain`` and the demo's commands use this toolkit
too. A user's mistake (any ``ZhbertError``, or an ``OSError`` such as a full disk) is reported as one line,
``<command>: error: <message>``, with exit status 2; ``ZHBERT_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .errors import MissingFileError, UsageError, ZhbertError

__all__ = [
    "FORMAT_HELP",
    "ArgumentParser",
    "add_dtype_option",
    "add_ner_file_options",
    "check_output",
    "dataclass_parser",
    "json_to_flags",
    "option_strings",
    "parse_dataclasses",
    "run_cli",
    "write_atomically",
]


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


# The data layer checks the name (zhbert.data.annotations.FORMATS); importing it here would import torch for --help.
FORMAT_HELP = (
    "the file's format: auto (from its content), tags, doccano, label-studio, label-studio-min, cmeee, cluener or brat"
)


def add_ner_file_options(parser: argparse.ArgumentParser) -> None:
    """How an entity file is read (``zhbert.data.read_ner_data``): ``--format``, ``--offsets``, ``--annotator``,
    ``--overlaps`` and ``--fix-tags``, as ``zhbert train ner`` takes them."""
    parser.add_argument("--format", default="auto", help=FORMAT_HELP)
    parser.add_argument("--offsets", default="auto", choices=["auto", "codepoints", "utf16"],
                        help="unit of annotation offsets written without their text (doccano)")  # fmt: skip
    parser.add_argument("--annotator", default="first",
                        help="which annotation of a text annotated several times: first, latest or an id")  # fmt: skip
    parser.add_argument("--overlaps", default=None, choices=["refuse", "longest", "keep"],
                        help="overlapping entities: refuse, keep the longest, or keep them all (a span model) "
                        "(default: refuse; longest with --fix-tags; keep for a span model)")  # fmt: skip
    parser.add_argument("--fix_tags", "--fix-tags", action="store_true",
                        help="repair invalid tag sequences (an I- with no B- before it) and say how many")  # fmt: skip


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


def check_output(path: str | os.PathLike[str] | None, flag: str = "output") -> None:
    """Refuse an output file that cannot be written before any work is done: a folder, or a file in a folder that
    does not exist. ``flag`` is the argument that named it."""
    if path is None:
        return
    output = Path(path)
    if output.is_dir():
        raise UsageError(f"{output}: a folder; --{flag} names the file to write", argument=flag)
    if not output.parent.is_dir():
        raise MissingFileError(f"{output}: the folder {output.parent} does not exist", argument=flag)
