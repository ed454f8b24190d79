"""The ``zhbert`` command: one module per command, and this dispatcher.

    zhbert preview "中华人民共和国刑法规定" [--segmenter jieba|ltp|char] [--user-dict FILE] [--seed N]
    zhbert train {classify,ner} --model_name_or_path DIR --train_file FILE ...   (or: zhbert train ner args.json)
    zhbert evaluate --model DIR --test_file FILE      zhbert predict --model DIR --input FILE --output FILE
    zhbert export MODEL OUT [--quantize int8] [--overwrite] [--allow-slow-int8] [--sample FILE] [--threads N]
    zhbert data check FILE [--format auto|doccano|label-studio|...] [--max_seq_length N]
    zhbert terms CORPUS [CORPUS ...] -o terms.txt [--top N] [--min-count N] [--max-len N] [--processes N]
    zhbert serve MODEL [NAME=MODEL ...] [--host H] [--port N] [--api-key KEY] [--max-batch N] [--threads N]
    zhbert demo ...      zhbert build-demo-models ...   (commands of the demo package, found by entry point)

Each command module adds its parser (``add_parser``) and runs (``run``); errors are reported by
``zhbert.cli.run_cli`` in one line. Commands of packages above the library register under the
``zhbert.commands`` entry-point group: ``zhbert --help`` lists them from the metadata, without importing them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from ..cli import ArgumentParser, option_strings, run_cli
from . import data, evaluate, export, predict, preview, serve, terms, train

__all__ = ["COMMANDS_GROUP", "build_parser", "main", "plugin_commands"]

COMMANDS_GROUP = "zhbert.commands"  # entry points of commands that live above the library (the demo)
COMMANDS = (preview, train, evaluate, predict, export, serve, data, terms)
BUILT_IN = frozenset(command.__name__.rsplit(".", 1)[-1] for command in COMMANDS)


def plugin_commands() -> dict[str, Any]:
    """Commands that packages above the library register under the ``zhbert.commands`` entry-point group, by
    name (entry points, not loaded)."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=COMMANDS_GROUP)}


def build_parser(plugins: Mapping[str, str] | None = None) -> ArgumentParser:
    """The ``zhbert`` parser; ``plugins`` (command name -> the module that runs it) are listed in its help, and
    parse their own arguments."""
    parser = ArgumentParser(prog="zhbert", description="Chinese BERT made practical.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    for command in COMMANDS:
        command.add_parser(sub)
    for name, module in (plugins or {}).items():
        sub.add_parser(name, help=f"{module.split('.')[0]}'s command (zhbert {name} --help)", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``zhbert ARGV``: the exit status (2 after one line on stderr for a user's mistake)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    plugins = {name: ep for name, ep in plugin_commands().items() if name not in BUILT_IN}
    if argv and argv[0] in plugins:
        return int(plugins[argv[0]].load()(argv[1:]))
    parser = build_parser({name: plugins[name].module for name in sorted(plugins)})
    sub = parser.subcommands().get(argv[0]) if argv else None
    prog = f"zhbert {argv[0]}" if sub is not None else "zhbert"

    def body() -> int:
        args, rest = parser.parse_known_args(argv)
        if getattr(args, "takes_flags", False):
            args.flags = rest  # flags that the command parses itself (zhbert train)
        elif rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        return int(args.func(args))

    return run_cli(prog, body, option_strings(sub))
