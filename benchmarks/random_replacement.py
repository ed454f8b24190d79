"""Where the collator's 10% random replacements come from: the whole vocabulary less special and [unused] tokens
(before) against the tokens that tokenizing text can produce (``text_token_ids``, now), on the same legal-corpus
batches, in one run: how many replacements are tokens the corpus itself contains, how many are ``##`` pieces of
CJK characters (never produced by the tokenizer), and the collator's speed.

python benchmarks/random_replacement.py [--lines 3000] [--repeats 5]
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
import torch
from _common import header, interleaved, law_lines
from transformers import AutoTokenizer

from zhbert import JiebaSegmenter, WholeWordMaskCollator, wwm_features
from zhbert.resources import BERT_BASE_CHINESE_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    header("collator: where random replacements come from")
    tokenizer = AutoTokenizer.from_pretrained(BERT_BASE_CHINESE_DIR)
    features = wwm_features(law_lines(args.lines), tokenizer, JiebaSegmenter(), max_length=128)
    batches = [features[i : i + 32] for i in range(0, len(features), 32)]
    vocab = tokenizer.get_vocab()
    special = set(tokenizer.all_special_ids)
    whole = torch.tensor(sorted(i for t, i in vocab.items() if i not in special and not t.startswith("[unused")))
    in_corpus = Counter(i for f in features for i in f["input_ids"])
    cjk_pieces = {i for t, i in vocab.items() if t.startswith("##") and len(t) == 3 and "\u4e00" <= t[2] <= "\u9fff"}
    now = WholeWordMaskCollator(tokenizer, seed=0)
    before = WholeWordMaskCollator(tokenizer, seed=0)
    before._random_ids = whole.numpy()  # the draw as it was
    print(f"vocabulary {len(vocab):,}; drawn from: before {len(whole):,} tokens, now {len(now._random_ids):,}")
    print(f"{'draw':8s} {'replacements':>13s} {'in the corpus':>14s} {'##-CJK pieces':>14s} {'ms/batch (best)':>16s}")
    timing = interleaved({"before": lambda: [before(b) for b in batches], "now": lambda: [now(b) for b in batches]},
                         args.repeats)  # fmt: skip
    for name, collator in (("before", before), ("now", now)):
        generator = WholeWordMaskCollator(tokenizer, seed=1, mask_replace_prob=0.0, random_replace_prob=1.0)
        generator._random_ids = collator._random_ids
        outs = [generator(b) for b in batches]
        drawn = np.concatenate([o["input_ids"][o["labels"] != -100].numpy() for o in outs])
        seen = np.mean([in_corpus[int(i)] > 0 for i in drawn])
        pieces = np.mean([int(i) in cjk_pieces for i in drawn])
        ms = 1000 * timing[name][0] / len(batches)
        print(f"{name:8s} {len(drawn):>13,d} {seen:>14.1%} {pieces:>14.1%} {ms:>16.3f}")


if __name__ == "__main__":
    main()
