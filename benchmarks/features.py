"""wwm_features (segment + tokenize + word ids) against jieba.lcut plus the tokenizer alone, same lines,
one process; then scaling with datasets.map(num_proc=2).

    python benchmarks/features.py [--lines 3000] [--max-length 128] [--repeats 9] [--map-lines 20000]

``--map-lines 0`` leaves out the datasets.map part.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time

import datasets
import jieba
from _common import header, interleaved, law_lines, print_ratio
from transformers import AutoTokenizer

from zhbert import JiebaSegmenter, wwm_features
from zhbert.resources import BERT_BASE_CHINESE_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--map-lines", type=int, default=20000)
    args = parser.parse_args()
    header("features: lines/s, legal corpus")
    jieba.setLogLevel(logging.WARNING)
    datasets.disable_progress_bars()

    lines = law_lines(args.lines)
    tokenizer = AutoTokenizer.from_pretrained(str(BERT_BASE_CHINESE_DIR))
    segmenter = JiebaSegmenter()
    jieba.lcut("预热")  # dictionaries load outside the timed runs
    segmenter.cut(["预热"])

    def baseline():
        [jieba.lcut(line) for line in lines]
        tokenizer(lines, truncation=True, max_length=args.max_length)

    def ours():
        wwm_features(lines, tokenizer, segmenter, max_length=args.max_length)

    def tokenizer_only():
        tokenizer(lines, truncation=True, max_length=args.max_length)

    timing = interleaved({"tokenizer": tokenizer_only, "baseline": baseline, "ours": ours}, args.repeats)
    n = len(lines)
    print(f"lines: {n}, max_length {args.max_length}, {args.repeats} interleaved rounds")
    print(f"{'step':36s} {'lines/s best':>13s} {'lines/s median':>15s} {'vs baseline (best, median)':>28s}")
    for label, key in (
        ("tokenizer alone", "tokenizer"),
        ("baseline: jieba.lcut + tokenizer", "baseline"),
        ("zhbert wwm_features (jieba)", "ours"),
    ):
        best, median = timing[key]
        ratio = f"{timing['baseline'][0] / best:.2f}x, {timing['baseline'][1] / median:.2f}x"
        print(f"{label:36s} {n / best:13.0f} {n / median:15.0f} {ratio:>28s}")
    if args.map_lines:
        scaling(args, tokenizer, segmenter)
    print_ratio("features.wwm_features", timing["baseline"][0] / timing["ours"][0])


def scaling(args: argparse.Namespace, tokenizer, segmenter: JiebaSegmenter) -> None:
    # datasets.map scaling: the same function over a larger slice, 1 vs 2 processes.
    big = law_lines(args.map_lines, seed=1)
    data = datasets.Dataset.from_dict({"text": big})

    def fn(batch):
        feats = wwm_features(batch["text"], tokenizer, segmenter, max_length=args.max_length)
        return {key: [f[key] for f in feats] for key in ("input_ids", "attention_mask", "token_type_ids", "word_ids")}

    timings = {}
    for procs in (1, 2):
        with tempfile.TemporaryDirectory() as cache:
            part = data.map(lambda b: b, batched=True, keep_in_memory=True)  # fresh fingerprint per run
            start = time.perf_counter()
            part.map(
                fn,
                batched=True,
                batch_size=1000,
                num_proc=procs if procs > 1 else None,
                remove_columns=["text"],
                cache_file_name=f"{cache}/out.arrow",
            )
            timings[procs] = time.perf_counter() - start
    print(f"datasets.map over {len(big)} lines (batch_size 1000, includes writing Arrow):")
    for procs, t in timings.items():
        print(f"  num_proc={procs}: {len(big) / t:8.0f} lines/s  {timings[1] / t:5.2f}x")
    print_ratio("features.map_num_proc_2", timings[1] / timings[2])


if __name__ == "__main__":
    main()
