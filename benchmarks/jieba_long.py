"""JiebaSegmenter on long runs of characters jieba does not know: whole (one jieba call per text) against cut
into pieces of at most ``max_chars`` at sentence ends (the default, 500), same texts, one run.

python benchmarks/jieba_long.py [--lengths 20000,40000,80000,200000]
"""

from __future__ import annotations

import argparse
import time

from _common import header, print_ratio

from zhbert.text import JiebaSegmenter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lengths", default="20000,40000,80000,200000")
    parser.add_argument("--whole-up-to", type=int, default=80000, help="skip the whole-text run beyond this length")
    args = parser.parse_args()
    header("jieba on long runs of one unknown character (鑫)")
    whole, pieces = JiebaSegmenter(max_chars=10**9), JiebaSegmenter()
    whole.cut(["预热"]), pieces.cut(["预热"])  # load the dictionary outside the timing
    print(f"{'characters':>10s} {'whole (s)':>10s} {'pieces of 500 (s)':>19s} {'speed-up':>9s}")
    ratios = {}
    for n in map(int, args.lengths.split(",")):
        text = "鑫" * n
        tick = time.perf_counter()
        cut = pieces.cut([text])[0]
        piece_s = time.perf_counter() - tick
        assert "".join(cut) == text
        if n <= args.whole_up_to:
            tick = time.perf_counter()
            whole.cut([text])
            whole_s = time.perf_counter() - tick
            print(f"{n:>10,d} {whole_s:>10.2f} {piece_s:>19.2f} {whole_s / piece_s:>8.1f}x")
            ratios[n] = whole_s / piece_s
        else:
            print(f"{n:>10,d} {'(skipped)':>10s} {piece_s:>19.2f}")
    for n, ratio in ratios.items():
        print_ratio(f"jieba_long.{n}", ratio)


if __name__ == "__main__":
    main()
