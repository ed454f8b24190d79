"""What a new user gets loading the shipped models with plain transformers instead of zhbert's API.

    python benchmarks/plain_loading.py [--split test|dev] [--texts N] [--quick]

Tagger (CRF over BIOES tags): ``AutoModelForTokenClassification`` loads the encoder and the token classifier but
leaves out the ``crf.*`` weights (transformers lists them as unexpected keys). Compared, all in float32 on the
same sentences:
- ``EntityTagger`` (the CRF's Viterbi path), the reference;
- plain loading + argmax over each token's scores, entities read by seqeval's lenient ``get_entities``; its
  invalid BIOES transitions are counted (a first tag I-/E-, a last tag B-/I-, a pair the scheme forbids);
- transformers' ``pipeline("token-classification", aggregation_strategy="simple")``. Its grouping reads B-/I-
  prefixes only: an E- token is cut off as an entity of its own (B-ORG I-ORG E-ORG gives two entities) and
  neighbouring S- tokens join into one. To show the grouping apart from the scores, it is also run on the gold
  BIOES tags (``pipeline.group_entities``, as its "simple" aggregation calls it);
- plain loading + a NumPy Viterbi held to the BIOES rules with no learned transitions (what a careful user can
  rebuild by hand, ``benchmarks/_handmade.py``).
Classifier: ``AutoModelForSequenceClassification`` + argmax against ``TextClassifier`` in float32 (same labels
expected: the head is plain). Texts are read up to 128 tokens, batches of 32 in their given order.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from itertools import pairwise
from typing import Any

import _handmade as hand
import numpy as np
from _common import SHIPPED_MODELS, cpu_description, sample, shipped_classifier_split, shipped_tagger_split

MAX_LENGTH, BATCH = 128, 32


def plain_logits(model: Any, tokenizer: Any, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(logits, attention mask, offsets) of each batch of ``BATCH`` texts, from the plain model's forward."""
    import torch

    out = []
    for i in range(0, len(texts), BATCH):
        enc = tokenizer(texts[i : i + BATCH], padding=True, truncation=True, max_length=MAX_LENGTH,
                        return_tensors="pt", return_offsets_mapping=True)  # fmt: skip
        offsets = enc.pop("offset_mapping").numpy()
        with torch.inference_mode():
            logits = model(**enc).logits.float().numpy()
        out.append((logits, enc["attention_mask"].numpy(), offsets))
    return out


def invalid_transitions(tags: list[str], labels: list[str], rules: tuple[np.ndarray, ...]) -> int:
    start, moves, end = rules
    ids = [labels.index(t) for t in tags]
    if not ids:
        return 0
    return int(not start[ids[0]]) + sum(not moves[a, b] for a, b in pairwise(ids)) + int(not end[ids[-1]])


def pipeline_grouping(pipe: Any, text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The entities the token-classification pipeline's "simple" grouping makes of a text's gold BIOES tags, one
    per character (its tokens here), O included as the pipeline passes it."""
    from zhbert.tagging.schemes import spans_to_bioes

    tokens = [{"entity": tag, "score": 1.0, "word": text[i], "start": i, "end": i + 1}
              for i, tag in enumerate(spans_to_bioes(spans, len(text)))]  # fmt: skip
    groups = pipe.group_entities(tokens) if tokens else []
    return [(g["start"], g["end"], g["entity_group"]) for g in groups if g["entity_group"] != "O"]


def tagger(texts: list[str], gold: list[list[tuple[int, int, str]]]) -> None:
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    from zhbert import EntityTagger
    from zhbert.finetune import ner_metrics

    folder = SHIPPED_MODELS / "tagger"
    model, info = AutoModelForTokenClassification.from_pretrained(str(folder), output_loading_info=True)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    print(f"\nplain loading of the tagger leaves out: {', '.join(sorted(info['unexpected_keys'])) or 'nothing'}")
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    rules = hand.bioes_rules(labels)
    reference = [[(e.start, e.end, e.type) for e in row] for row in
                 EntityTagger.from_pretrained(folder, device="cpu", dtype="float32").predict(texts)]  # fmt: skip
    argmax_tags, argmax, viterbi = [], [], []
    for logits, mask, offsets in plain_logits(model, tokenizer, texts):
        for decode, spans in ((None, argmax), (rules, viterbi)):
            tags = hand.token_tags(logits, mask, labels, decode)
            spans.extend(hand.char_spans(t, o) for t, o in zip(tags, offsets, strict=True))
            if decode is None:
                argmax_tags.extend(tags)
    pipe = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="simple",
                    device="cpu")  # fmt: skip
    piped = [[(int(e["start"]), int(e["end"]), str(e["entity_group"])) for e in row]
             for row in pipe(texts, batch_size=BATCH)]  # fmt: skip

    grouped = [pipeline_grouping(pipe, text, spans) for text, spans in zip(texts, gold, strict=True)]
    broken = [invalid_transitions(t, labels, rules) for t in argmax_tags]
    f1 = {name: ner_metrics(texts, gold, spans)["f1"] for name, spans in (("ref", reference), ("argmax", argmax),
          ("pipeline", piped), ("viterbi", viterbi), ("grouped", grouped))}  # fmt: skip
    n = len(texts)

    def differ(spans: list[Any]) -> str:
        changed = sum(a != b for a, b in zip(spans, reference, strict=True))
        return f"{changed}/{n} ({changed / n:.1%})"

    print(f"tagger ({folder.name}, CRF over BIOES): {n} sentences; strict IOBES F1 against the gold entities")
    print(f"{'path':58s} {'strict F1':>9s}  sentences whose entities differ from EntityTagger")
    print(f"{'EntityTagger (CRF, float32)':58s} {f1['ref']:9.4f}  -")
    print(f"{'plain AutoModelForTokenClassification + argmax':58s} {f1['argmax']:9.4f}  {differ(argmax)}")
    print(f"{'pipeline(token-classification, aggregation simple)':58s} {f1['pipeline']:9.4f}  {differ(piped)}")
    print(f"{'plain + NumPy Viterbi under BIOES rules (by hand)':58s} {f1['viterbi']:9.4f}  {differ(viterbi)}")
    print(f"argmax: {sum(broken)} invalid BIOES transitions in {sum(b > 0 for b in broken)} of {n} sentences "
          f"({sum(len(t) for t in argmax_tags)} tokens)")  # fmt: skip
    found, matched = sum(map(len, piped)), sum(len(set(p) & set(r)) for p, r in zip(piped, reference, strict=True))
    print(f"pipeline: {found} entities against EntityTagger's {sum(map(len, reference))}; {matched} of them "
          f"EntityTagger's own. Its grouping run on the gold tags: strict F1 {f1['grouped']:.4f} "
          f"({sum(map(len, grouped))} entities for {sum(map(len, gold))} gold ones)")  # fmt: skip


def classifier(texts: list[str], gold: list[str]) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from zhbert import TextClassifier

    folder = SHIPPED_MODELS / "classifier"
    model = AutoModelForSequenceClassification.from_pretrained(str(folder)).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    plain = [model.config.id2label[int(i)] for logits, _, _ in plain_logits(model, tokenizer, texts)
             for i in logits.argmax(-1)]  # fmt: skip
    ours = [r.label for r in TextClassifier.from_pretrained(folder, device="cpu", dtype="float32").predict(texts)]
    same = sum(a == b for a, b in zip(plain, ours, strict=True))
    accuracy = {name: sum(a == b for a, b in zip(out, gold, strict=True)) / len(gold) for name, out in
                (("plain", plain), ("ours", ours))}  # fmt: skip
    print(f"\nclassifier ({folder.name}): {len(texts)} reviews")
    print(f"plain AutoModelForSequenceClassification + argmax: accuracy {accuracy['plain']:.4f}; "
          f"TextClassifier float32: {accuracy['ours']:.4f}; same label on {same}/{len(texts)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    parser.add_argument("--texts", type=int, default=None, help="texts per model (default: the whole part)")
    parser.add_argument("--quick", action="store_true", help="500 texts per model")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]  # lines show as they come
    n = 500 if args.quick and args.texts is None else args.texts

    import transformers

    transformers.logging.set_verbosity_error()  # its load report; the keys it leaves out are printed below
    print("# Plain transformers loading of the shipped models against zhbert's API")
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"machine: {cpu_description()}")
    texts, spans = sample(n, *shipped_tagger_split(args.split))
    print(f"data: the shipped tagger's {args.split} part (MSRA NER, 10/10 split, seed 42); the classifier's "
          f"{args.split} parts of its three review sets")  # fmt: skip
    tagger(texts, spans)
    classifier(*sample(n, *shipped_classifier_split(args.split)))


if __name__ == "__main__":
    main()
