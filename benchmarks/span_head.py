"""The span head (GlobalPointer) against the CRF tagger, from the same shipped base (zhbert_demo/models/mlm) with
the same training arguments: CLUENER dev (strict exact-match F1, precision, recall, per type), a nested set
(overall F1, and the recall of the inner entities, which a CRF cannot tag), and inference speed side by side.

    python benchmarks/nested_set.py --out runs/nested-msra --train 4000 --dev 1000
    python benchmarks/span_head.py --runs runs [--nested runs/nested-msra] [--dtype float32] [--batch_size 32] [--quick]

Each model is trained once by ``zhbert train ner`` into ``RUNS/<set>-<head>`` (log beside it, ``.log``); a rerun
reuses every finished model (one with a ``config.json``). The CLUENER runs use exactly

    zhbert train ner --model_name_or_path zhbert_demo/models/mlm --train_file ../shared/data/cluener2020/train.json
      --validation_file ../shared/data/cluener2020/dev.json --fix-tags --num_train_epochs 3 --max_seq_length 64
      --per_device_train_batch_size 32 --learning_rate 5e-4 --warmup_steps 0.05 --seed 0 [--head span]

(the CRF keeps the longer of CLUENER train's 2 overlapping pairs; the span head keeps both). ``--nested DIR``
reads ``DIR/train.json`` and ``DIR/dev.json`` (CLUENER-style JSON lines with nested entities, as
``benchmarks/nested_set.py`` writes them) and trains both heads on them the same way for ``--nested_epochs``
(default 3, as on CLUENER), the CRF with ``--overlaps longest``. Scores are exact (start, end, type) matches
against the full gold, nested entities included (on flat data they equal strict IOBES seqeval). ``--quick``: 500
training texts, 1 epoch, 200 dev texts, into ``RUNS/quick-*``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, SHARED_DATA, header, interleaved

from zhbert import EntityTagger
from zhbert.data import read_annotations
from zhbert.finetune import span_metrics

BASE = REPO / "zhbert_demo" / "models" / "mlm"
ARGS = ["--fix-tags", "--num_train_epochs", "3", "--max_seq_length", "64", "--per_device_train_batch_size", "32",
        "--learning_rate", "5e-4", "--warmup_steps", "0.05", "--seed", "0"]  # fmt: skip
QUICK = ["--max_train_samples", "500", "--num_train_epochs", "1"]


def train(out: Path, train_file: Path, dev_file: Path, extra: list[str], quick: bool) -> Path:
    """``zhbert train ner`` into ``out``, unless a finished model is there already."""
    if (out / "config.json").is_file():
        print(f"reusing {out}")
        return out
    if out.is_dir() and any(out.iterdir()):
        sys.exit(f"{out} holds an unfinished run (no config.json yet): wait for it to end, or remove it")
    argv = [sys.executable, "-m", "zhbert", "train", "ner", "--model_name_or_path", str(BASE),
            "--train_file", str(train_file), "--validation_file", str(dev_file), *ARGS, *(QUICK if quick else []),
            *extra, "--output_dir", str(out), "--overwrite_output_dir", "true", "--disable_tqdm", "true"]  # fmt: skip
    print(f"training {out} (log: {out}.log)", flush=True)
    start = time.perf_counter()
    with open(f"{out}.log", "w", encoding="utf-8") as log:
        subprocess.run(argv, check=True, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    print(f"  trained in {time.perf_counter() - start:.0f} s")
    return out


def inner_spans(spans: list[tuple[int, int, str]]) -> set[tuple[int, int, str]]:
    """The entities that lie inside another entity of the same text."""
    return {s for s in spans if any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)}


def score(name: str, tagger: EntityTagger, texts: list[str], gold: list[list[tuple[int, int, str]]], batch: int):
    found = tagger.predict(texts, batch_size=batch)
    predicted = [[(x.start, x.end, x.type) for x in xs] for xs in found]
    scores = span_metrics(gold, predicted)
    inner_gold = [inner_spans(g) for g in gold]
    hit = sum(len(i & set(p)) for i, p in zip(inner_gold, predicted, strict=True))
    total = sum(len(i) for i in inner_gold)
    scores["inner_recall"] = hit / total if total else float("nan")
    scores["inner_support"] = total
    return scores


def table(title: str, results: dict[str, dict]) -> None:
    names = list(results)
    print(f"\n## {title}\n")
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for key in ("f1", "precision", "recall", "macro_f1"):
        print(f"| {key} | " + " | ".join(f"{100 * results[n][key]:.2f}" for n in names) + " |")
    if any(results[n]["inner_support"] for n in names):
        support = results[names[0]]["inner_support"]
        print(
            f"| inner entities' recall ({support:,}) | "
            + " | ".join(f"{100 * results[n]['inner_recall']:.2f}" for n in names)
            + " |"
        )
    types = sorted({t for n in names for t in results[n]["per_type"]})
    print("\nper type, F1 (support):\n")
    print("| type | " + " | ".join(names) + " | support |")
    print("|---|" + "---:|" * (len(names) + 1))
    for t in types:
        cells = [f"{100 * results[n]['per_type'].get(t, {}).get('f1-score', 0.0):.2f}" for n in names]
        support = int(results[names[0]]["per_type"].get(t, {}).get("support", 0))
        print(f"| {t} | " + " | ".join(cells) + f" | {support} |")


def compare(label: str, runs: Path, train_file: Path, dev_file: Path, crf_extra: list[str], args, extra=()) -> dict:
    """Both heads trained on ``train_file`` (``extra`` flags for both, after the shared ones) and scored on
    ``dev_file``; the taggers and the dev texts."""
    prefix = f"quick-{label}" if args.quick else label
    crf = train(runs / f"{prefix}-crf", train_file, dev_file, [*crf_extra, *extra], args.quick)
    if label == "cluener" and args.span_model:
        span = Path(args.span_model)  # a checkpoint of a run still training, say
    else:
        span = train(runs / f"{prefix}-span", train_file, dev_file, ["--head", "span", *extra], args.quick)
    dirs = {"CRF": crf, "span": span}
    dev = read_annotations(dev_file).examples  # nested entities kept
    if args.quick:
        dev = dev[:200]
    texts = [e.text for e in dev]
    gold = [list(e.spans) for e in dev]
    taggers = {n: EntityTagger.from_pretrained(d, device="cpu", dtype=args.dtype) for n, d in dirs.items()}
    if not args.speed_only:
        results = {n: score(n, t, texts, gold, args.batch_size) for n, t in taggers.items()}
        table(f"{label} dev, {len(texts):,} texts, exact (start, end, type) match ({args.dtype})", results)
    return {"taggers": taggers, "texts": texts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="/tmp/span-head", help="where the models are trained and reused")
    parser.add_argument("--nested", default=None, help="a folder with train.json and dev.json of nested entities")
    parser.add_argument("--nested_epochs", type=float, default=3, help="epochs of both runs on the nested set")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bf16"])
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds of the speed comparison")
    parser.add_argument("--no_cluener", action="store_true", help="the nested set only (no CLUENER, no speed)")
    parser.add_argument("--speed_only", action="store_true", help="CLUENER: time the two models, no scores")
    parser.add_argument("--speed_texts", type=int, default=None, help="time the first N dev texts (default: all)")
    parser.add_argument("--span_model", default=None, help="CLUENER: this span model (a checkpoint, say) instead")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    header(f"span head against CRF from {BASE.relative_to(REPO)}{' (quick)' if args.quick else ''}")
    print(f"ZHBERT_THREADS={os.environ.get('ZHBERT_THREADS', '')!s}")
    runs = Path(args.runs)
    runs.mkdir(parents=True, exist_ok=True)
    data = SHARED_DATA / "cluener2020"
    if args.nested:
        nested = Path(args.nested)
        epochs = ["--num_train_epochs", f"{args.nested_epochs:g}"]
        compare("nested", runs, nested / "train.json", nested / "dev.json", ["--overlaps", "longest"], args, epochs)
    if args.no_cluener:
        return
    cluener = compare("cluener", runs, data / "train.json", data / "dev.json", [], args)

    texts = cluener["texts"][: args.speed_texts]
    taggers = cluener["taggers"]
    for tagger in taggers.values():
        tagger.predict(texts[:64], batch_size=args.batch_size)  # warm up
    timed = interleaved(
        {n: (lambda t=t: t.predict(texts, batch_size=args.batch_size)) for n, t in taggers.items()}, args.repeats
    )
    print(f"\n## inference speed: {len(texts):,} CLUENER dev texts, batch {args.batch_size}, {args.dtype}, CPU\n")
    print(f"| head | texts/s (fastest of {args.repeats}) | texts/s (median) |")
    print("|---|---:|---:|")
    for n, (fastest, median) in timed.items():
        print(f"| {n} | {len(texts) / fastest:.1f} | {len(texts) / median:.1f} |")
    crf, span = timed["CRF"][0], timed["span"][0]
    print(f"\nspan / CRF time: {span / crf:.2f}x")


if __name__ == "__main__":
    main()
