"""The ``zhbert`` command line.

zhbert preview "中华人民共和国刑法规定" [--segmenter jieba|ltp|char] [--user-dict FILE] [--seed N]
zhbert train {classify,ner} ...      zhbert evaluate ...      zhbert predict ...
zhbert demo [--classifier DIR] [--tagger DIR] [--mlm DIR] [--host 127.0.0.1] [--port 7860]
zhbert build-demo-models [--force]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _preview(args: argparse.Namespace) -> int:
    from transformers import AutoTokenizer

    from .preview import mask_preview
    from .resources import BERT_BASE_CHINESE_DIR
    from .segment import get_segmenter

    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer or str(BERT_BASE_CHINESE_DIR))
    segmenter = get_segmenter(args.segmenter, user_dict=args.user_dict, ltp_model=args.ltp_model)
    for text in args.text:
        view = mask_preview(
            text,
            tokenizer,
            segmenter,
            seed=args.seed,
            mlm_probability=args.mlm_probability,
            max_ngram=args.max_ngram,
        )
        print(f"text:    {view.text}")
        print(f"words:   {' / '.join(w.text for w in view.words)}")
        print(f"masked:  {view.render()}")
        print(f"input:   {view.masked_input}")
    return 0


def _model_task(path: str) -> str:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(path)
    task = getattr(config, "zhbert_task", None)
    if task is None:
        architectures = " ".join(config.architectures or [])
        task = "ner" if "TokenClassification" in architectures else "classify"
    return str(task)


def _evaluate(args: argparse.Namespace) -> int:
    import json

    scores, headline = (_evaluate_ner if _model_task(args.model) == "ner" else _evaluate_classify)(args)
    report = json.dumps(scores, ensure_ascii=False, indent=2)
    if args.output:
        _write_atomically(args.output, report + "\n")
    print(report)
    print(headline)
    return 0


def _evaluate_ner(args: argparse.Namespace) -> tuple[dict, str]:
    from .inference import EntityTagger
    from .metrics import ner_metrics
    from .ner_data import read_ner_file

    tagger = EntityTagger.from_pretrained(args.model, device=args.device)
    examples = read_ner_file(args.test_file, scheme=args.scheme)[0]
    known = {label.split("-", 1)[1] for label in tagger.id2label.values() if label != "O"}
    for example in examples:
        for _, _, kind in example.spans:
            if kind not in known:
                raise ValueError(
                    f"{example.source}: entity type {kind!r} is not among the model's types {sorted(known)}"
                )
    texts = [e.text for e in examples]
    predicted = tagger.predict(texts, batch_size=args.batch_size)
    scores = ner_metrics(texts, [e.spans for e in examples], [[(x.start, x.end, x.type) for x in p] for p in predicted])
    return scores, f"test_f1 {scores['f1']:.4f}"


def _evaluate_classify(args: argparse.Namespace) -> tuple[dict, str]:
    from .cls_data import read_cls_file
    from .inference import TextClassifier
    from .metrics import classification_metrics

    classifier = TextClassifier.from_pretrained(args.model, device=args.device)
    data = read_cls_file(args.test_file, text_column=args.text_column, label_column=args.label_column)
    for example in data.examples:
        if example.label not in classifier.labels:
            raise ValueError(
                f"{example.source}: label {example.label!r} is not among the model's labels {classifier.labels}"
            )
    predicted = classifier.predict([e.text for e in data.examples], batch_size=args.batch_size)
    scores = classification_metrics([e.label for e in data.examples], [p.label for p in predicted])
    return scores, f"test_accuracy {scores['accuracy']:.4f}"


def _read_inputs(path: str, text_column: str) -> list[str]:
    import json
    from pathlib import Path

    from .textio import decode_line

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"input not found: {file}")
    texts = []
    jsonl = file.suffix.lower() in (".jsonl", ".json")
    with file.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            line = decode_line(raw, file, lineno).rstrip("\r\n")
            if not jsonl:
                texts.append(line)
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{file}:{lineno}: not valid JSON ({err.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get(text_column), str):
                raise ValueError(f"{file}:{lineno}: no text field {text_column!r}; set --text-column")
            texts.append(record[text_column])
    return texts


def _write_atomically(path: str, content: str) -> None:
    import os
    from pathlib import Path

    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, target)


def _predict(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    texts = _read_inputs(args.input, args.text_column)
    task = _model_task(args.model)
    lines = []
    if task == "ner":
        from .inference import EntityTagger

        tagger = EntityTagger.from_pretrained(args.model, device=args.device)
        for text, entities in zip(texts, tagger.predict(texts, batch_size=args.batch_size), strict=True):
            lines.append({"text": text, "entities": [asdict(e) for e in entities]})
    else:
        from .inference import TextClassifier

        classifier = TextClassifier.from_pretrained(args.model, device=args.device)
        for text, result in zip(texts, classifier.predict(texts, batch_size=args.batch_size), strict=True):
            lines.append({"text": text, **asdict(result)})
    _write_atomically(args.output, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    print(f"zhbert predict: {len(lines)} predictions written to {args.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zhbert",
        description="Chinese BERT made practical.",
        epilog="Also: zhbert train {classify,ner} ..., zhbert demo [--help], zhbert build-demo-models [--help].",
    )
    sub = parser.add_subparsers(dest="command", required=True)
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
    p.add_argument("--output", default=None, help="also write the metrics as JSON here")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("predict", help="label texts from a .txt (one per line) or .jsonl file")
    p.add_argument("--model", required=True, help="a directory written by zhbert train")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True, help="JSON lines, one per input text")
    p.add_argument("--text_column", "--text-column", default="text")
    p.add_argument("--batch_size", "--batch-size", type=int, default=32)
    p.add_argument("--device", default=None)
    p.set_defaults(func=_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "train":
        from .train import main as train_main

        return train_main(argv[1:])
    if argv and argv[0] == "build-demo-models":
        from .demo_models import main as build_main

        return build_main(argv[1:])
    if argv and argv[0] == "demo":
        try:
            import gradio  # noqa: F401
        except ImportError:
            print("zhbert demo: error: the demo needs gradio: pip install 'zhbert[demo]'", file=sys.stderr)
            return 2
        from apps.demo import main as demo_main

        return demo_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, TypeError, FileNotFoundError, ImportError) as err:
        print(f"zhbert {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
