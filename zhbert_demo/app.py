"""The zhbert web demo: text classification, entity recognition, whole-word masking, fill-mask and attention
maps, in Chinese.

    zhbert demo                      # the shipped model set (zhbert_demo/models), or one built on first run
    python -m zhbert_demo --classifier runs/senti --tagger runs/resume-ner --mlm runs/law-bert --port 7860

This module serves the demo: its command line, the model set it finds, the request limits. The rest is split by
job: ``inputs`` (what the fields take), ``handlers`` (one function per tab over the loaded models), ``layout``
(the ``gr.Blocks`` page), ``manifest`` (a model set's manifest and the page's models panel), ``model_set`` (the
shipped set and one built here). Importing it loads no model.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from zhbert.errors import MissingExtraError, UsageError

from .inputs import DEFAULT_MAX_CHARS

__all__ = ["build_parser", "main"]

MAX_REQUEST_BYTES = 64 * 1024  # a 512-character text is under 2 KB of JSON; nothing needs more


def build_parser() -> argparse.ArgumentParser:
    from zhbert.cli import ArgumentParser, add_dtype_option

    parser = ArgumentParser(prog="zhbert demo", description="The zhbert web demo (Gradio).")
    parser.add_argument("--classifier", help="classifier directory (default: the demo's default model set)")
    parser.add_argument("--tagger", help="NER model directory (default: the demo's default model set)")
    parser.add_argument("--mlm", help="masked-language model directory for 完形填空 and its tokenizer for 全词掩码")
    parser.add_argument("--segmenter", choices=["jieba", "ltp", "char"], default="jieba")
    parser.add_argument("--user-dict", help="jieba user dictionary (default with the default set: legal terms)")
    parser.add_argument("--ltp-model", help="LTP model directory, to offer the LTP segmenter")
    parser.add_argument(
        "--terms",
        help="discovered terms (zhbert terms) for the 全词掩码 tab's 发现的术语 option (default: the demo's, from its "
        "legal corpus; 'none' to leave the option out)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS, help="longest accepted input")
    parser.add_argument("--concurrency", type=int, default=2, help="requests run at once; the rest queue")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    parser.add_argument("--home", help="zhbert cache folder for the default set (default $ZHBERT_HOME)")
    parser.add_argument("--device", default=None)
    add_dtype_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from zhbert.cli import option_strings, run_cli

    parser = build_parser()
    return run_cli("zhbert demo", lambda: _serve(parser, argv), option_strings(parser))


def _serve(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    from .handlers import load_handlers
    from .layout import build_demo
    from .manifest import describe_models, read_manifest
    from .model_set import DEMO_TERMS, DemoModelPaths, build_demo_models

    args = parser.parse_args(argv)
    if args.max_chars < 1:
        raise UsageError(f"max_chars must be at least 1, got {args.max_chars}", argument="max_chars")
    if args.concurrency < 1:
        raise UsageError(f"concurrency must be at least 1, got {args.concurrency}", argument="concurrency")
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise MissingExtraError("the demo needs gradio: pip install 'zhbert[demo]'") from None
    user_dict = args.user_dict
    provenance = ""
    if not (args.classifier and args.tagger and args.mlm):
        paths = DemoModelPaths.shipped() or DemoModelPaths.complete(args.home) or build_demo_models(args.home)
        args.classifier = args.classifier or str(paths.classifier)
        args.tagger = args.tagger or str(paths.tagger)
        args.mlm = args.mlm or str(paths.mlm)
        if user_dict is None and args.segmenter == "jieba":
            user_dict = str(paths.user_dict)
        provenance = describe_models(read_manifest(paths.root))
    handlers = load_handlers(
        args.classifier,
        args.tagger,
        args.mlm,
        segmenter=args.segmenter,
        user_dict=user_dict,
        ltp_model=args.ltp_model,
        max_chars=args.max_chars,
        device=args.device,
        dtype=args.dtype,
        provenance=provenance,
        terms=None if args.terms == "none" else args.terms or str(DEMO_TERMS),
    )
    demo = build_demo(handlers, concurrency_limit=args.concurrency)
    print(f"zhbert demo: serving on http://{args.host}:{args.port}", flush=True)
    from starlette.middleware import Middleware

    from .limits import RequestLimits

    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        show_error=False,  # a handler's InputError still reaches the user; a bug's raw exception text does not
        max_file_size=1024,
        app_kwargs={"middleware": [Middleware(RequestLimits, max_body=MAX_REQUEST_BYTES)]},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
