"""WholeWordMaskCollator against transformers' token-level DataCollatorForLanguageModeling, same batches.

python benchmarks/collator.py [--lines 3000] [--batch-size 32] [--repeats 9] [--quick]

The first table keeps every batch made in a round (a list, as a caller collecting them would); the second
drops each batch as soon as it is made, as a training loop does, so that the memory of the outputs is reused
instead of fresh. The last line times the word-id checks alone (the three comparisons the collator adds to the
reductions it needs anyway), on the same padded batches.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import header, interleaved, law_lines, print_ratio
from transformers import AutoTokenizer, DataCollatorForLanguageModeling

from zhbert import JiebaSegmenter, WholeWordMaskCollator, wwm_features
from zhbert.resources import BERT_BASE_CHINESE_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="640 lines, 3 rounds")
    args = parser.parse_args()
    if args.quick:
        args.lines, args.repeats = 640, 3
    header("collator: batches/s on the legal corpus")

    tokenizer = AutoTokenizer.from_pretrained(str(BERT_BASE_CHINESE_DIR))
    features = wwm_features(law_lines(args.lines), tokenizer, JiebaSegmenter(), max_length=args.max_length)
    plain = [{k: f[k] for k in ("input_ids", "attention_mask", "token_type_ids")} for f in features]
    size = args.batch_size
    ours_batches = [features[i : i + size] for i in range(0, len(features), size)]
    theirs_batches = [plain[i : i + size] for i in range(0, len(plain), size)]

    ours = WholeWordMaskCollator(tokenizer, seed=0)
    ours_ngram = WholeWordMaskCollator(tokenizer, seed=0, max_ngram=4)
    theirs = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, seed=0, return_tensors="pt")

    def run(collator, batches):
        return lambda: [collator(b) for b in batches]

    def run_dropped(collator, batches):
        def each() -> None:
            for batch in batches:
                collator(batch)

        return each

    timing = interleaved(
        {
            "theirs": run(theirs, theirs_batches),
            "ours": run(ours, ours_batches),
            "ngram": run(ours_ngram, ours_batches),
            "theirs dropped": run_dropped(theirs, theirs_batches),
            "ours dropped": run_dropped(ours, ours_batches),
        },
        args.repeats,
    )
    n = len(ours_batches)
    print(f"batches: {n} of {size}, max_length {args.max_length}, {args.repeats} interleaved rounds")
    print(f"{'collator':58s} {'ms/batch (best)':>16s} {'speed-up (best, median)':>24s} {'ms/batch (median)':>18s}")
    rows = (
        ("transformers DataCollatorForLanguageModeling (token-level)", "theirs", "theirs"),
        ("zhbert WholeWordMaskCollator (whole words)", "ours", "theirs"),
        ("zhbert WholeWordMaskCollator (max_ngram=4)", "ngram", "theirs"),
        ("each batch dropped as made (as a training loop does):", None, None),
        ("transformers DataCollatorForLanguageModeling, dropped", "theirs dropped", "theirs dropped"),
        ("zhbert WholeWordMaskCollator (whole words), dropped", "ours dropped", "theirs dropped"),
    )
    for label, key, baseline in rows:
        if key is None or baseline is None:
            print(label)
            continue
        best, median = timing[key]
        ratio = f"{timing[baseline][0] / best:.2f}x, {timing[baseline][1] / median:.2f}x"
        print(f"{label:58s} {1e3 * best / n:16.3f} {ratio:>24s} {1e3 * median / n:18.3f}")
    checks = check_cost([ours._pad(b) for b in ours_batches], [[len(f["input_ids"]) for f in b] for b in ours_batches])
    print(f"word-id checks alone: {1e6 * checks:.1f} us/batch ({checks / (timing['ours'][0] / n):.1%} of whole words)")
    print_ratio("collator.whole_words", timing["theirs"][0] / timing["ours"][0])
    print_ratio("collator.max_ngram_4", timing["theirs"][0] / timing["ngram"][0])
    print_ratio("collator.whole_words_dropped", timing["theirs dropped"][0] / timing["ours dropped"][0])


def check_cost(padded: list[dict], lengths: list[list[int]]) -> float:
    """Fastest seconds a batch for the comparisons ``word_positions`` adds to the reductions the masking needs."""
    words = [p["word_ids"].numpy() for p in padded]
    arrays = [(w, w.max(axis=1), np.array(n)) for w, n in zip(words, lengths, strict=True)]
    numbered = [(w + (np.cumsum(last + 1) - last - 1)[:, None])[w >= 0] for w, last, _ in arrays]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for (w, last, n), units in zip(arrays, numbered, strict=True):
            _ = w.min() < -1 or (last >= n).any() or (units[1:] < units[:-1]).any()
        best = min(best, time.perf_counter() - start)
    return best / len(arrays)


if __name__ == "__main__":
    main()
