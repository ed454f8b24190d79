"""``zhbert predict``: label the texts of a file with a fine-tuned model, streamed in constant memory: one JSON
line per input record, in input order, written (and synced to disk) a chunk at a time, continued after an
interruption with ``--resume``, a share of the file with ``--shard``; a tagger's entities also as pre-annotations
for doccano or Label Studio.

    zhbert predict --model DIR --input texts.txt --output predictions.jsonl [--resume] [--shard 0/4]
    zhbert predict --model DIR --text "房间很干净" --text "送餐太慢"            (JSON lines on stdout)
    cat texts.txt | zhbert predict --model DIR --input - --output - --quiet
    zhbert predict --model DIR --input texts.txt --output tasks.json --format label-studio

docs/predicting.md describes the output lines, resuming and sharding.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cli import add_dtype_option, check_output
from ..errors import DataError, UsageError

if TYPE_CHECKING:
    from ..data.texts import TextRecord

__all__ = ["FORMATS", "add_parser", "parse_shard", "run", "write_pre_annotations"]

FORMATS = ("jsonl", "doccano", "label-studio")
# zhbert.data.texts checks the input format (INPUT_FORMATS); importing it here would import torch for --help.
INPUT_FORMATS = ("txt", "csv", "tsv", "jsonl", "json")
STDIN = "-"
KINDS = {"classify": "classifier", "ner": "tagger"}
# The keys zhbert adds to a line; an input field of the same name is kept as input_<name>.
ADDED = frozenset({"line", "skipped", "label", "score", "scores", "truncated", "entities"})


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "predict", help="label texts from a .txt (one per line), .csv, .tsv, .jsonl or .json file, streamed"
    )
    p.add_argument("--model", required=True, help="a directory written by zhbert train")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="the texts: .txt (one per line), .csv, .tsv, .jsonl, or .json (a JSON "
                        "array is read whole); - reads stdin")  # fmt: skip
    source.add_argument("--text", action="append", help="a text to label, instead of --input (repeat for more)")
    p.add_argument("--output", default=STDIN, help="JSON lines, one per input record, in input order; - (the "
                   "default) writes stdout")  # fmt: skip
    p.add_argument("--input_format", "--input-format", default=None, choices=list(INPUT_FORMATS),
                   help="the input's format, when its suffix does not say (stdin: txt unless given)")  # fmt: skip
    p.add_argument("--text_column", "--text-column", default=None,
                   help="the text's column or field (default: the first of text, sentence, review, content, "
                   "sentence1 that the file has)")  # fmt: skip
    p.add_argument("--format", default="jsonl", choices=list(FORMATS),
                   help="jsonl: one JSON line per input record, streamed; doccano (JSONL) or label-studio (tasks "
                   "with predictions, scored, model_version the model folder's name): a tagger's pre-annotations, "
                   "written whole at the end (no --resume, --shard or stdout)")  # fmt: skip
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an output that an interrupted run left: keep its whole lines (checked against the input), "
        "cut a half-written last one, go on",
    )
    p.add_argument(
        "--shard",
        default=None,
        metavar="I/N",
        help="predict only shard I of N (0-based, 0 <= I < N): the input's records k (counting from 0) with "
        "k mod N == I; line numbers stay the input's",
    )
    p.add_argument("--threads", type=int, default=None, help="torch's CPU threads (default: $ZHBERT_THREADS, "
                   "else the cores this process may use)")  # fmt: skip
    p.add_argument("--chunk_size", "--chunk-size", type=int, default=1024,
                   help="records read, predicted and written at a time (sorted by length within a chunk)")  # fmt: skip
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no messages, only errors")
    p.add_argument("--batch_size", "--batch-size", type=int, default=32)
    p.add_argument("--device", default=None)
    add_dtype_option(p)
    p.set_defaults(func=run)
    return p


def parse_shard(value: str | None) -> tuple[int, int]:
    """``"I/N"`` as (I, N), 0-based: ``0 <= I < N``; ``(0, 1)`` for None (the whole input).

    Raises:
        UsageError: not two whole numbers I/N with 0 <= I < N.
    """
    if value is None:
        return 0, 1
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not match or not int(match[1]) < int(match[2]):
        raise UsageError(
            f"--shard takes I/N with 0 <= I < N, 0-based (0/2 and 1/2 split the input in two), got {value!r}",
            argument="shard",
        )
    return int(match[1]), int(match[2])


class _Counted:
    """Records passed on one at a time, texts counted (all shards' texts: an input without any is an error)."""

    def __init__(self, records: Iterable[TextRecord], shard: tuple[int, int]) -> None:
        self.records, self.shard, self.texts = records, shard, 0

    def __iter__(self) -> Iterator[TextRecord]:
        index, count = self.shard
        for k, record in enumerate(self.records):
            self.texts += record.text is not None
            if k % count == index:
                yield record


def _chunks(records: Iterator[TextRecord], size: int) -> Iterator[list[TextRecord]]:
    while chunk := list(islice(records, size)):
        yield chunk


def run(args: argparse.Namespace) -> int:
    from ..models.loading import checkpoint_task, model_source

    whole = args.format != "jsonl"
    if whole and (args.resume or args.shard or args.output == STDIN):
        raise UsageError(
            f"--format {args.format} writes one file whole: give --output FILE, without --resume or --shard"
        )
    check_output(None if args.output == STDIN else args.output)
    shard = parse_shard(args.shard)
    if args.chunk_size < 1:
        raise UsageError(f"chunk_size must be a whole number >= 1, got {args.chunk_size}", argument="chunk_size")
    model_source(args.model)  # a mistyped path fails here, before torch is imported

    from ..data.outputs import LinesOutput
    from ..data.texts import TextRecords

    source = TextRecords(args.input, args.text_column, args.input_format) if args.input is not None else None
    name = source.name if source is not None else "--text"
    counted = _Counted(source if source is not None else _given(args.text), shard)
    output = None if whole else LinesOutput(args.output, args.resume)
    records = iter(counted)
    if output is not None:
        records = output.skip_written(records, _same)
    chunks = _chunks(records, args.chunk_size)
    first = next(chunks, [])  # read before the model loads: a bad file fails at once
    done = len(first) < args.chunk_size  # the whole input is read
    if counted.texts == 0 and done and (output is None or output.lines == 0):
        blank = f" ({len(first)} blank lines or empty texts)" if first else ""
        raise DataError(f"{name}: no texts to label{blank}")
    task = checkpoint_task(args.model)
    kind = KINDS[task]
    if args.format != "jsonl" and task != "ner":
        raise UsageError(
            f"{args.model} is a classifier, and format {args.format} writes entities: use jsonl", argument="format"
        )
    predictor, threads = _load(args, task)
    say = _say(args.quiet)
    backend = getattr(predictor, "backend", "pytorch")
    where = f"{predictor.device} {str(predictor.dtype).removeprefix('torch.')}" if backend == "pytorch" else backend
    say(f"zhbert predict: {args.model} ({kind}), {threads}, {where}, batches of "
        f"{args.batch_size}, chunks of {args.chunk_size}")  # fmt: skip
    if output is not None and output.lines:
        cut = f"; a half-written last line of {output.cut} bytes cut off" if output.cut else ""
        say(f"zhbert predict: {output.lines} lines already in {output.path} kept{cut}")
    if whole:
        kept = [r for chunk in chain([first], chunks) for r in chunk if r.text is not None]
        if not kept:
            raise DataError(f"{name}: no texts to label")
        results = _predict(predictor, task, kept, args.batch_size, name, args.model)
        version = Path(args.model).resolve().name
        write_pre_annotations(args.output, args.format, [r.text or "" for r in kept], results, version)
        say(f"zhbert predict: {len(kept)} texts' pre-annotations written to {args.output}")
        return 0
    assert output is not None
    total = source.count_lines() if source is not None else len(args.text)
    written, skipped = _stream(predictor, task, chain([first], chunks), output, args, name, total, shard)
    if counted.texts == 0:
        output.close(discard=True)
        raise DataError(f"{name}: no texts to label ({skipped} blank lines or empty texts)")
    note = f" ({skipped} blank {'line or empty text' if skipped == 1 else 'lines or empty texts'} marked)"
    say(f"zhbert predict: {written} predictions written to {args.output}{note if skipped else ''}")
    return 0


def _given(texts: list[str]) -> list[TextRecord]:
    """The texts of ``--text``, records 1, 2, ..."""
    from ..data.texts import EMPTY, TextRecord

    return [
        TextRecord(i, {"text": t}, t) if t.strip() else TextRecord(i, {"text": t}, skipped=EMPTY)
        for i, t in enumerate(texts, start=1)
    ]


def _load(args: argparse.Namespace, task: str) -> tuple[Any, Any]:
    """The predictor, on the threads chosen (``zhbert.cores``), and that choice."""
    from ..cores import apply_threads, choose_threads

    choice = choose_threads(args.threads)
    apply_threads(choice)
    if task == "ner":
        from ..api.tagger import EntityTagger as api
    else:
        from ..api.classifier import TextClassifier as api  # type: ignore[assignment]
    from ..export import is_exported

    if is_exported(args.model):  # ONNX Runtime, on the CPU in the graph's own types, on the threads chosen
        if args.device not in (None, "cpu") or args.dtype not in (None, "auto"):
            raise UsageError(
                f"{args.model} is an export, which runs on the CPU in its graph's own types: leave device and dtype "
                "unset",
                argument="device" if args.device not in (None, "cpu") else "dtype",
            )
        return api.from_pretrained(args.model, threads=choice.threads), choice
    predictor = api.from_pretrained(args.model, device=args.device, dtype=args.dtype)
    if str(predictor.dtype) == "torch.float32":
        from ..models.fast_bert import use_onednn

        # oneDNN keeps memory for each new input shape, and every chunk brings new ones: in float32 MKL's kernels
        # keep RSS flat (408 -> 441 MB over 12,000 texts, against 977 -> 1,106 MB in bf16 on oneDNN).
        use_onednn(False)
    return predictor, choice


def _say(quiet: bool) -> Any:
    def say(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr, flush=True)

    return say


def _predict(predictor: Any, task: str, records: list[TextRecord], batch_size: int, name: str, model: str) -> list[Any]:
    texts = [r.text or "" for r in records]
    if any(r.pair is not None for r in records):
        if task == "ner":
            raise UsageError(f"{name}: text pairs, but {model} is a tagger, which reads one text")
        return list(predictor.predict(texts, batch_size=batch_size, text_pairs=[r.pair or "" for r in records]))
    return list(predictor.predict(texts, batch_size=batch_size))


def _stream(
    predictor: Any,
    task: str,
    chunks: Iterator[list[TextRecord]],
    output: Any,
    args: argparse.Namespace,
    name: str,
    total: int | None,
    shard: tuple[int, int],
) -> tuple[int, int]:
    """Predict and write chunk by chunk, with a progress bar on a terminal; (predictions, skipped) written."""
    from tqdm import tqdm

    from ..cores import heap_trimmer

    trim = heap_trimmer()

    if total is not None:
        total = len(range(shard[0], total, shard[1]))
    terminal = sys.stderr.isatty() and not (args.output == STDIN and sys.stdout.isatty())
    written = skipped = 0
    bar = tqdm(total=total, initial=output.lines, unit=" texts", file=sys.stderr, disable=args.quiet or not terminal,
               dynamic_ncols=True, smoothing=0.1)  # fmt: skip
    with bar:
        for chunk in chunks:
            if not chunk:
                continue
            kept = [r for r in chunk if r.text is not None]
            results = iter(_predict(predictor, task, kept, args.batch_size, name, args.model) if kept else [])
            output.write([_line(r, None if r.text is None else next(results), task) for r in chunk])
            written += len(kept)
            skipped += len(chunk) - len(kept)
            bar.update(len(chunk))
            if trim is not None:
                trim()
    output.close()
    return written, skipped


def _fields(record: TextRecord) -> dict[str, Any]:
    """A record's fields as its output line shows them."""
    return {f"input_{key}" if key in ADDED else key: value for key, value in record.fields.items()}


def _same(record: TextRecord, row: dict[str, Any]) -> bool:
    """Whether a line already written shows the record's fields (resuming)."""
    return all(key in row and row[key] == value for key, value in _fields(record).items())


def _line(record: TextRecord, result: Any, task: str) -> str:
    """One output line: the input line's number, its fields (one named like a key zhbert adds as input_<name>),
    then the prediction or why there is none."""
    row: dict[str, Any] = {"line": record.line, **_fields(record)}
    if record.skipped is not None:
        row["skipped"] = record.skipped
    elif task == "ner":
        row["entities"] = [asdict(e) for e in result]
    else:
        row.update(asdict(result))
    return json.dumps(row, ensure_ascii=False) + "\n"


def write_pre_annotations(output: str, fmt: str, texts: list[str], results: list[Any], model_version: str) -> None:
    """A tagger's entities as the annotation tool imports them: doccano JSONL (``label`` shape) or Label Studio
    tasks with ``predictions`` (each region scored, ``model_version`` named)."""
    from ..data.annotations import write_doccano, write_label_studio
    from ..data.ner_example import NerExample

    examples = [
        NerExample(text, tuple((e.start, e.end, e.type) for e in found), f"{output}:{i + 1}")
        for i, (text, found) in enumerate(zip(texts, results, strict=True))
    ]
    if fmt == "doccano":
        write_doccano(output, examples)
    else:
        scores = [[e.score for e in found] for found in results]
        write_label_studio(output, examples, model_version=model_version, scores=scores)
