"""Term discovery (``discover_terms``) against jieba's own new-word finding (its HMM), and what the discovered
dictionary does to jieba's segmentation; then the whole legal corpus: time, memory and the top terms.

1. SIGHAN 2005 MSR and PKU test sets: terms discovered from the raw test text (the gold lines, spaces removed),
   judged against the gold words that jieba's dictionary lacks. Baseline: the words jieba (HMM on) outputs that
   are not in its dictionary, two or more CJK characters, by frequency.
2. Word F1 of jieba on the same gold text, without and with the top 200 / 500 discovered terms as a user
   dictionary (written by ``write_user_dict``).
3. ../shared/data/law_corpus_zh/law_corpus.txt, 8.2M characters, streamed from the file in a fresh process:
   wall time and peak memory, precision@100 against zhbert_demo/data/legal_terms.txt, the top 50.

python benchmarks/terms.py [--processes 1,2]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import REPO, SHARED_DATA, header

from zhbert.terms import Term, discover_terms, known_words, write_user_dict
from zhbert.text import JiebaSegmenter, word_offsets

SIGHAN = SHARED_DATA / "icwb2_sighan2005"
LAW = SHARED_DATA / "law_corpus_zh" / "law_corpus.txt"
LEGAL_TERMS = REPO / "zhbert_demo" / "data" / "legal_terms.txt"
KS = (50, 100, 200, 500)
HAN = re.compile(r"^[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}$")
SETTINGS: dict[str, dict[str, Any]] = {  # name -> discover_terms arguments
    "defaults": {},
    "small corpus (min_count 2, min_entropy 0.5)": {"min_count": 2, "min_entropy": 0.5},
    "small corpus, rules=False": {"min_count": 2, "min_entropy": 0.5, "rules": False},
    "small corpus, compounds=False": {"min_count": 2, "min_entropy": 0.5, "compounds": False},
}
SMALL = "small corpus (min_count 2, min_entropy 0.5)"
NEW_WORDS = "small corpus, compounds=False"


def gold_lines(name: str) -> list[str]:
    lines = (SIGHAN / f"{name}_test_gold.utf8").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


def word_f1(segmenter: JiebaSegmenter, lines: list[str]) -> float:
    texts = ["".join(line.split()) for line in lines]
    hit = gold = predicted = 0
    for line, words in zip(lines, segmenter.cut(texts), strict=True):
        g, p = set(word_offsets(line.split())), set(word_offsets(words))
        hit, gold, predicted = hit + len(g & p), gold + len(g), predicted + len(p)
    precision, recall = hit / predicted, hit / gold
    return 2 * precision * recall / (precision + recall)


def breakdown(ranked: list[str], lines: list[str], wanted: set[str], k: int = 200) -> tuple[int, int, int]:
    """Of the top ``k``: gold words; runs the gold segmentation cuts into shorter words (both ends on a gold word
    boundary in most occurrences: 戗 堤, 大江 截流); the rest, which cross a gold boundary in most occurrences."""
    texts = ["".join(line.split()) for line in lines]
    ends = [{0} | {end for _, end in word_offsets(line.split())} for line in lines]
    gold = split = 0
    for word in ranked[:k]:
        if word in wanted:
            gold += 1
            continue
        aligned = seen = 0
        for text, cuts in zip(texts, ends, strict=True):
            at = text.find(word)
            while at >= 0:
                seen += 1
                aligned += at in cuts and at + len(word) in cuts
                at = text.find(word, at + 1)
        split += 2 * aligned >= seen
    return gold, split, min(k, len(ranked)) - gold - split


def precision_recall(ranked: list[str], wanted: set[str]) -> str:
    cells = []
    for k in KS:
        hits = sum(w in wanted for w in ranked[:k])
        cells.append(f"{hits / k:.2f} / {hits / len(wanted):.3f}")
    return "  ".join(f"{c:>12s}" for c in cells)


def sighan() -> None:
    known = known_words()
    print("\n## SIGHAN 2005: discovered words against the gold words jieba's dictionary lacks")
    print("P@K / R@K; R@K over all out-of-dictionary gold word types")
    dictionaries: dict[tuple[str, str], list[Term]] = {}
    for name in ("msr", "pku"):
        lines = gold_lines(name)
        texts = ["".join(line.split()) for line in lines]
        counts = Counter(w for line in lines for w in line.split())
        ood = {w for w in counts if w not in known}
        reachable = sum(1 for w, c in counts.items() if w in ood and HAN.match(w) and c >= 2)
        print(
            f"\n{name.upper()}: {sum(map(len, texts)):,} characters, {len(ood):,} out-of-dictionary gold word types, "
            f"{reachable} of them of 2+ CJK characters seen 2+ times"
        )
        print(f"{'method':52s} {'terms':>6s}  " + "  ".join(f"{f'K={k}':>12s}" for k in KS))
        hmm = Counter(w for words in JiebaSegmenter().cut(texts) for w in words if HAN.match(w) and w not in known)
        ranked = [w for w, _ in sorted(hmm.items(), key=lambda item: -item[1])]
        print(f"{'jieba HMM new words, by frequency':52s} {len(ranked):>6d}  {precision_recall(ranked, ood)}")
        for label, kwargs in SETTINGS.items():
            terms = discover_terms(texts, **kwargs)
            scores = precision_recall([t.word for t in terms], ood)
            print(f"{'discover_terms, ' + label:52s} {len(terms):>6d}  {scores}")
            if label in (SMALL, NEW_WORDS):
                dictionaries[name, label] = terms
            if label == SMALL:
                wrong = [t.word for t in terms[:100] if t.word not in ood]
                right = [t.word for t in terms[:100] if t.word in ood]
                print(f"  top 100, gold words: {' '.join(right)}")
                print(f"  top 100, not gold words: {' '.join(wrong)}")
                gold, split, crossing = breakdown([t.word for t in terms], lines, ood)
                print(
                    f"  top 200: {gold} gold words, {split} runs the gold segmentation cuts into shorter words at its"
                    f" own boundaries, {crossing} crossing a gold word boundary"
                )
    print("\n## Word F1 of jieba on the gold test text, with the discovered terms as a user dictionary")
    print(f"discover_terms settings: {SMALL}; the dictionary as write_user_dict writes it (freq: count, raised to")
    print("jieba's suggest_freq); 'frequency 1' rows load the same words with frequency 1 (jieba takes them only")
    print("where its path probability prefers them); 'new words' rows are the terms found with compounds=False")
    print("(none that jieba's dictionary cuts into words of 2+ characters alone)")
    print(f"{'dictionary':40s} {'MSR HMM on':>11s} {'MSR HMM off':>12s} {'PKU HMM on':>11s} {'PKU HMM off':>12s}")
    rows: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in ("msr", "pku"):
            lines = gold_lines(name)
            variants: dict[str, str | None] = {"none (jieba's dictionary alone)": None}
            for setting, kind, ks in ((SMALL, "discovered", (200, 500)), (NEW_WORDS, "new words", (100, 200))):
                for ones in (False, True):
                    for k in ks:
                        path = Path(folder) / f"{name}-{kind}-{k}-{ones}.txt"
                        chosen = dictionaries[name, setting][:k]
                        if ones:
                            path.write_text("".join(f"{t.word} 1 nz\n" for t in chosen), encoding="utf-8")
                        else:
                            write_user_dict(chosen, path, scores=False)
                        variants[f"top {k} {kind}" + (", frequency 1" if ones else "")] = str(path)
            for label, user_dict in variants.items():
                rows.setdefault(label, []).extend(
                    word_f1(JiebaSegmenter(user_dict=user_dict, hmm=hmm), lines) for hmm in (True, False)
                )
    for label, values in rows.items():
        print(f"{label:40s} " + " ".join(f"{v:>11.4f}" if i % 2 == 0 else f"{v:>12.4f}" for i, v in enumerate(values)))


def legal_run(processes: int, out: str) -> None:
    """In a process of its own, so that its peak memory is its own."""
    start = time.perf_counter()
    with LAW.open(encoding="utf-8") as corpus:
        terms = discover_terms(corpus, processes=processes)
    wall = time.perf_counter() - start
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    result = {"wall": wall, "peak_mib": peak / 1024, "terms": [[t.word, t.count, t.score] for t in terms]}
    Path(out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def legal(processes: list[int]) -> None:
    print(f"\n## The legal corpus: {LAW.name}, {LAW.stat().st_size:,} bytes, streamed from the file, defaults")
    print(f"{'processes':>9s} {'wall (s)':>9s} {'peak RSS, largest process (MiB)':>32s} {'terms':>7s}")
    result = None
    with tempfile.TemporaryDirectory() as folder:
        for p in processes:
            out = str(Path(folder) / f"law-{p}.json")
            subprocess.run([sys.executable, __file__, "--legal-run", str(p), out], check=True)
            result = json.loads(Path(out).read_text(encoding="utf-8"))
            print(f"{p:>9d} {result['wall']:>9.1f} {result['peak_mib']:>32.0f} {len(result['terms']):>7,d}")
    assert result is not None
    words = [w for w, _, _ in result["terms"]]
    hand = [line.split()[0] for line in LEGAL_TERMS.read_text(encoding="utf-8").splitlines() if line.strip()]
    unknown = [w for w in hand if w not in known_words()]
    top = set(words[:100])
    found = [w for w in hand if w in top]
    ranks = {w: i + 1 for i, w in enumerate(words)}
    print(
        f"\nprecision@100 against the {len(hand)} hand-written legal terms of {LEGAL_TERMS.relative_to(REPO)}: "
        f"{len(found) / 100:.2f} ({len(found)} found: {' '.join(found) or '-'})"
    )
    print(f"a lower bound: {len(hand) - len(unknown)} of the {len(hand)} are in jieba's dictionary already, so at most")
    print(f"{len(unknown)} can be found, and any other legal term in the top 100 counts as wrong. Where those rank:")
    print("  " + " ".join(f"{w} {ranks.get(w, '-')}" for w in unknown))
    print("\ntop 50 (word count score):")
    for i in range(0, 50, 5):
        print("  " + "   ".join(f"{w} {c} {s:.2f}" for w, c, s in result["terms"][i : i + 5]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", default="1,2", help="process counts for the legal corpus")
    parser.add_argument("--legal-run", nargs=2, metavar=("PROCESSES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.legal_run:
        legal_run(int(args.legal_run[0]), args.legal_run[1])
        return
    header("term discovery: SIGHAN 2005 out-of-dictionary words, jieba word F1, the legal corpus")
    sighan()
    legal([int(p) for p in args.processes.split(",")])


if __name__ == "__main__":
    main()
