"""A nested NER set from MSRA NER: organisations with the places they contain.

    python benchmarks/nested_set.py --out runs/nested-msra        # train.json, dev.json, stats.json

MSRA NER (``../shared/data/msra_ner/train.char.bio``) is flat: ``北京市怀柔县民政局`` is one ORG, and the places
in it are not marked. This script adds them, by one rule, so that a model has inner entities to find:

- the place lexicon is every LOC entity of the MSRA file written at least twice, of two characters or more;
- inside each ORG entity, scanning left to right, the longest lexicon entry that starts at a character becomes an
  inner LOC entity (``北京市``, ``怀柔县``), the scan going on after it; the ORG entity itself is never its own
  inner entity, and nothing is added outside ORG entities.

The inner entities are rule-made (silver), not annotated by people; the outer entities are MSRA's own. Sentences
are shuffled with ``--seed``; the first ``--dev`` form the dev file, the next ``--train`` the training file. Both
are CLUENER-style JSON lines (``{"text", "label": {type: {entity: [[start, end_inclusive], ...]}}}``), which
zhbert reads with the nesting kept (a BIOES tagger keeps the outer entity, ``--overlaps longest``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

from zhbert.data import NerExample, read_ner_data
from zhbert.data.annotations import read_annotations

MSRA = Path(__file__).resolve().parents[2] / "shared" / "data" / "msra_ner" / "train.char.bio"


def place_lexicon(examples: list[NerExample], min_count: int = 2, min_length: int = 2) -> set[str]:
    """The LOC names written at least ``min_count`` times, of ``min_length`` characters or more."""
    counts = Counter(e.text[s:t] for e in examples for s, t, kind in e.spans if kind == "LOC")
    return {name for name, n in counts.items() if n >= min_count and len(name) >= min_length}


def inner_places(text: str, start: int, end: int, lexicon: set[str], longest: int) -> list[tuple[int, int, str]]:
    """The places inside ``text[start:end]``: longest lexicon match at each character, left to right."""
    found = []
    i = start
    while i < end:
        for size in range(min(longest, end - i), 1, -1):
            if (i, i + size) != (start, end) and text[i : i + size] in lexicon:
                found.append((i, i + size, "LOC"))
                i += size
                break
        else:
            i += 1
    return found


def nest(example: NerExample, lexicon: set[str], longest: int) -> NerExample:
    """The example with the places inside its ORG entities added."""
    inner = [
        span
        for start, end, kind in example.spans
        if kind == "ORG"
        for span in inner_places(example.text, start, end, lexicon, longest)
    ]
    spans = sorted({*example.spans, *inner})
    return NerExample(example.text, tuple(spans), example.source)


def cluener_line(example: NerExample) -> str:
    label: dict[str, dict[str, list[list[int]]]] = {}
    for start, end, kind in example.spans:
        label.setdefault(kind, {}).setdefault(example.text[start:end], []).append([start, end - 1])
    return json.dumps({"text": example.text, "label": label}, ensure_ascii=False)


def count(examples: list[NerExample], lexicon: set[str], longest: int) -> dict[str, int]:
    """Sentences, entities by type, and the inner entities (those inside another entity)."""
    types = Counter(kind for e in examples for _, _, kind in e.spans)
    inner = sum(
        1 for e in examples for s, t, _ in e.spans if any(a <= s and t <= b and (a, b) != (s, t) for a, b, _ in e.spans)
    )
    nested = sum(
        1
        for e in examples
        if any(s < t2 and s2 < t and (s, t) != (s2, t2) for s, t, _ in e.spans for s2, t2, _ in e.spans)
    )
    return {
        "sentences": len(examples),
        **{f"entities_{k}": v for k, v in sorted(types.items())},
        "inner_entities": inner,
        "sentences_with_nesting": nested,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--msra", default=str(MSRA), help="MSRA NER's char-per-line BIO file")
    parser.add_argument("--out", required=True, help="a folder for train.json, dev.json and stats.json")
    parser.add_argument("--train", type=int, default=10_000, help="training sentences")
    parser.add_argument("--dev", type=int, default=3_000, help="dev sentences")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not Path(args.msra).is_file():
        print(f"{args.msra}: no such file (MSRA NER's train.char.bio)", file=sys.stderr)
        return 2
    # Six sentences of the file begin inside an entity (I-PER first); they are read as lenient decoders do.
    examples = read_ner_data(args.msra, fix_tags=True).examples
    lexicon = place_lexicon(examples)
    longest = max(map(len, lexicon))
    order = list(range(len(examples)))
    random.Random(args.seed).shuffle(order)
    parts = {"dev": order[: args.dev], "train": order[args.dev : args.dev + args.train]}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stats: dict[str, object] = {"source": args.msra, "seed": args.seed, "lexicon": len(lexicon)}
    for name, picked in parts.items():
        nested = [nest(examples[i], lexicon, longest) for i in picked]
        path = out / f"{name}.json"
        path.write_text("".join(cluener_line(e) + "\n" for e in nested), encoding="utf-8")
        read = read_annotations(path).examples  # read back by zhbert's own reader, nesting kept
        if [e.spans for e in read] != [e.spans for e in nested]:
            raise SystemExit(f"{path}: does not read back as written")
        stats[name] = count(nested, lexicon, longest)
    (out / "stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"# nested set: python benchmarks/nested_set.py --out {args.out} --train {args.train} --dev {args.dev} "
        f"--seed {args.seed}"
    )
    print(json.dumps(stats, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
