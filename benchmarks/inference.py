"""EntityTagger and TextClassifier against transformers pipelines: same model, same texts, one run.

NER: Resume NER test sentences; the baseline is pipeline("token-classification", aggregation_strategy="simple")
as usually called (one text at a time), and also with batch_size=32. Spans are scored with seqeval strict IOBES.
Classification: 500 ChnSentiCorp reviews (seed 0); baseline pipeline("text-classification"), batch 1 and 32.
Ablations (batch 32, same model object) show where the API's speed comes from: the model's own forward instead of
zhbert.models.FastBert (packed dense layers, last layer only where the head reads), and no token cap per call.
These comparisons run in float32. The bf16 task runs both APIs and the batch-32 pipelines in float32 and in bf16
(weights cast) on the same texts: speed, Resume strict F1 / ChnSentiCorp accuracy, and agreement with float32;
its reviews are the dev and test parts of the recipes' split (10/10, seed 42), all scored, the first --texts timed.

    bash benchmarks/recipes/resume_ner.sh && bash benchmarks/recipes/chnsenticorp.sh
    python benchmarks/inference.py [--ner-model runs/resume-ner] [--cls-model runs/chnsenticorp] [--rounds 2]
        [--tasks ner,classify,matmul,bf16] [--token-caps 1024,2048,4096]
"""

from __future__ import annotations

import argparse
import random

from _common import SHARED_DATA, header, interleaved, print_ratio
from transformers import pipeline

from zhbert import EntityTagger, TextClassifier
from zhbert.data import read_cls_file, read_ner_file, split_examples
from zhbert.finetune import ner_metrics


def pipeline_spans(results: list[list[dict]]) -> list[list[tuple[int, int, str]]]:
    return [[(int(e["start"]), int(e["end"]), str(e["entity_group"])) for e in r] for r in results]


def bench_ner(path: str, rounds: int) -> None:
    examples = read_ner_file(SHARED_DATA / "resume_ner" / "test.char.bmes")[0]
    texts = [e.text for e in examples]
    tagger = EntityTagger.from_pretrained(path, device="cpu", dtype="float32")
    baseline = pipeline("token-classification", model=tagger.model, tokenizer=tagger.tokenizer,
                        aggregation_strategy="simple", device="cpu")  # fmt: skip
    own = EntityTagger(tagger.model, tagger.tokenizer, device="cpu", crf=tagger.crf, dtype="float32")
    own.fast, own.tokens_per_call = None, None
    runs = {
        "pipeline": lambda: baseline(texts),
        "pipeline_b32": lambda: baseline(texts, batch_size=32),
        "own": lambda: own.predict(texts, batch_size=32),
        "ours": lambda: tagger.predict(texts, batch_size=32),
    }
    timing = interleaved(runs, rounds)
    gold = [e.spans for e in examples]

    def spans(tagged: list) -> list[list[tuple[int, int, str]]]:
        return [[(x.start, x.end, x.type) for x in p] for p in tagged]

    f1 = {
        "pipeline": ner_metrics(texts, gold, pipeline_spans(baseline(texts)))["f1"],
        "own": ner_metrics(texts, gold, spans(own.predict(texts)))["f1"],
        "ours": ner_metrics(texts, gold, spans(tagger.predict(texts)))["f1"],
    }
    f1["pipeline_b32"] = f1["pipeline"]
    print(f"\nNER: {len(texts)} Resume test sentences, model {path} (CRF: {tagger.crf is not None})")
    print(f"{'':52s} {'sent/s':>8s} {'speed-up':>9s} {'strict F1':>10s}")
    labels = {
        "pipeline": "pipeline(token-classification, simple), batch 1",
        "pipeline_b32": "pipeline(token-classification, simple), batch 32",
        "own": "  EntityTagger, model's own forward, no token cap",
        "ours": "zhbert EntityTagger, batch 32",
    }
    for key, label in labels.items():
        rate = len(texts) / timing[key][0]
        print(f"{label:52s} {rate:8.1f} {timing['pipeline'][0] / timing[key][0]:8.2f}x {f1[key]:10.4f}")


def bench_classify(path: str, rounds: int, n: int, caps: list[int]) -> None:
    data = read_cls_file(SHARED_DATA / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv", text_column="review")
    texts = [e.text for e in random.Random(0).sample(data.examples, n)]
    classifier = TextClassifier.from_pretrained(path, device="cpu", dtype="float32")
    baseline = pipeline("text-classification", model=classifier.model, tokenizer=classifier.tokenizer, device="cpu")
    limit = {"truncation": True, "max_length": classifier.max_length}
    # Ablations on the same model object: the model's own forward, with and without the token cap; no token cap.
    own = TextClassifier(classifier.model, classifier.tokenizer, device="cpu", dtype="float32")
    own.fast = None
    own_uncapped = TextClassifier(classifier.model, classifier.tokenizer, device="cpu", dtype="float32")
    own_uncapped.fast, own_uncapped.tokens_per_call = None, None
    uncapped = TextClassifier(classifier.model, classifier.tokenizer, device="cpu", dtype="float32")
    uncapped.tokens_per_call = None
    runs = {
        "pipeline": lambda: baseline(texts, **limit),
        "pipeline_b32": lambda: baseline(texts, batch_size=32, **limit),
        "own_uncapped": lambda: own_uncapped.predict(texts, batch_size=32),
        "own": lambda: own.predict(texts, batch_size=32),
        "uncapped": lambda: uncapped.predict(texts, batch_size=32),
        "ours": lambda: classifier.predict(texts, batch_size=32),
    }
    timing = interleaved(runs, rounds)
    pairs = list(zip(baseline(texts, **limit), classifier.predict(texts), strict=True))
    same = sum(a["label"] == b.label for a, b in pairs)
    gap = max(abs(a["score"] - b.scores[a["label"]]) for a, b in pairs)
    print(f"\nClassification: {len(texts)} ChnSentiCorp reviews, model {path}")
    print(f"same label as the pipeline on {same}/{len(texts)}; largest score difference {gap:.1e}")
    print(f"{'':52s} {'text/s':>8s} {'speed-up':>9s}")
    labels = {
        "pipeline": "pipeline(text-classification), batch 1",
        "pipeline_b32": "pipeline(text-classification), batch 32",
        "own_uncapped": "  TextClassifier, model's own forward, no token cap",
        "own": "  TextClassifier, model's own forward",
        "uncapped": "  TextClassifier, FastBert, no token cap",
        "ours": "zhbert TextClassifier, batch 32",
    }
    for key, label in labels.items():
        print(f"{label:52s} {len(texts) / timing[key][0]:8.1f} {timing['pipeline'][0] / timing[key][0]:8.2f}x")
    if caps:
        sweep = {}
        for cap in caps:
            capped = TextClassifier(classifier.model, classifier.tokenizer, device="cpu", dtype="float32")
            capped.tokens_per_call = cap
            sweep[cap] = lambda c=capped: c.predict(texts, batch_size=32)
        timing = interleaved(sweep, rounds)
        print(f"\nTextClassifier (batch 32) by padded tokens per call; default {classifier.tokens_per_call}")
        for cap in caps:
            print(f"  tokens_per_call {cap:<6d} {len(texts) / timing[cap][0]:8.1f} text/s")


def char_labels(text: str, entities: list) -> list[str]:
    """The entity type (or "O") of every character: what two taggers' outputs are compared on."""
    labels = ["O"] * len(text)
    for e in entities:
        labels[e.start : e.end] = [e.type] * (e.end - e.start)
    return labels


def bench_bf16(ner_path: str, cls_path: str, rounds: int, n: int) -> None:
    import torch

    examples = read_ner_file(SHARED_DATA / "resume_ner" / "test.char.bmes")[0]
    ner_texts, gold = [e.text for e in examples], [e.spans for e in examples]
    data = read_cls_file(SHARED_DATA / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv", text_column="review")
    # Scored on the dev and test parts of the recipes' split (10/10, seed 42), which their models never trained
    # on; timed on the first n of them.
    _, dev, test = split_examples(data.examples, 10.0, 10.0, 42)
    heldout = dev + test
    taggers = {d: EntityTagger.from_pretrained(ner_path, device="cpu", dtype=d) for d in ("float32", "bf16")}
    classifiers = {d: TextClassifier.from_pretrained(cls_path, device="cpu", dtype=d) for d in ("float32", "bf16")}
    config = classifiers["float32"].model.config
    # The gold labels as the model names them (a model may call 1 正面).
    named = [str(e.label) if str(e.label) in config.label2id else config.id2label[int(e.label)] for e in heldout]
    cls_texts = [e.text for e in heldout[:n]]
    torch_dtypes = {"float32": torch.float32, "bf16": torch.bfloat16}
    ner_pipes = {
        d: pipeline("token-classification", model=t.model, tokenizer=t.tokenizer, aggregation_strategy="simple",
                    device="cpu", dtype=torch_dtypes[d])
        for d, t in taggers.items()
    }  # fmt: skip
    cls_pipes = {
        d: pipeline("text-classification", model=c.model, tokenizer=c.tokenizer, device="cpu", dtype=torch_dtypes[d])
        for d, c in classifiers.items()
    }
    limit = {"truncation": True, "max_length": classifiers["float32"].max_length}
    runs = {}
    for d in taggers:
        runs[f"ner pipeline {d}"] = lambda p=ner_pipes[d]: p(ner_texts, batch_size=32)
        runs[f"ner ours {d}"] = lambda t=taggers[d]: t.predict(ner_texts, batch_size=32)
        runs[f"cls pipeline {d}"] = lambda p=cls_pipes[d]: p(cls_texts, batch_size=32, **limit)
        runs[f"cls ours {d}"] = lambda c=classifiers[d]: c.predict(cls_texts, batch_size=32)
    timing = interleaved(runs, rounds)

    tagged = {d: t.predict(ner_texts) for d, t in taggers.items()}
    chars = {d: [c for text, p in zip(ner_texts, tagged[d], strict=True) for c in char_labels(text, p)] for d in tagged}
    ner_agree = sum(a == b for a, b in zip(chars["float32"], chars["bf16"], strict=True)) / len(chars["float32"])
    spans = {d: [[(x.start, x.end, x.type) for x in p] for p in tagged[d]] for d in tagged}
    same_entities = sum(a == b for a, b in zip(spans["float32"], spans["bf16"], strict=True))
    f1 = {d: ner_metrics(ner_texts, gold, spans[d])["f1"] for d in spans}
    labelled = {d: [r.label for r in c.predict([e.text for e in heldout])] for d, c in classifiers.items()}
    accuracy = {d: sum(a == b for a, b in zip(labelled[d], named, strict=True)) / len(named) for d in labelled}
    differ = sum(a != b for a, b in zip(labelled["float32"], labelled["bf16"], strict=True))
    cls_agree = 1 - differ / len(named)

    print(f"\nbf16 against float32: Resume NER test ({len(ner_texts)} sentences, {ner_path}); "
          f"ChnSentiCorp, the recipes' dev and test parts, {len(cls_texts)} timed, {len(named)} scored "
          f"({cls_path}); batch 32")  # fmt: skip
    print(f"{'':34s} {'per s':>8s} {'vs own fp32':>12s} {'vs pipeline fp32':>17s}")
    for task, unit in (("ner", len(ner_texts)), ("cls", len(cls_texts))):
        for who in ("pipeline", "ours"):
            for d in ("float32", "bf16"):
                key = f"{task} {who} {d}"
                rate = unit / timing[key][0]
                own = timing[f"{task} {who} float32"][0] / timing[key][0]
                vs_pipe = timing[f"{task} pipeline float32"][0] / timing[key][0]
                print(f"{key:34s} {rate:8.1f} {own:11.2f}x {vs_pipe:16.2f}x")
    print(f"EntityTagger strict F1: float32 {f1['float32']:.4f}, bf16 {f1['bf16']:.4f} "
          f"(change {100 * (f1['bf16'] - f1['float32']):+.2f} points); characters with the same label {ner_agree:.2%}; "
          f"sentences with identical entities {same_entities}/{len(ner_texts)}")  # fmt: skip
    print(
        f"TextClassifier accuracy: float32 {accuracy['float32']:.4f}, bf16 {accuracy['bf16']:.4f} "
        f"(change {100 * (accuracy['bf16'] - accuracy['float32']):+.2f} points); same label {cls_agree:.2%} "
        f"({differ} of {len(named)} differ)"
    )


def bench_matmul(rounds: int) -> None:
    """The dense layers' kernel, F.linear (torch's default BLAS) vs FastBert's, at a small BERT's shapes."""
    import torch
    import torch.nn.functional as F

    from zhbert.models import fast_bert

    print(f"\nDense layers, float32, 2048 tokens; FastBert's oneDNN path available: {fast_bert.onednn_works()}")
    print(f"{'shape (tokens x in -> out)':40s} {'F.linear GFLOP/s':>17s} {'FastBert GFLOP/s':>17s} {'ratio':>7s}")
    g = torch.Generator().manual_seed(0)
    ratios = {}
    with torch.inference_mode():
        for n, k, m, gelu in [(2048, 256, 768, False), (2048, 256, 256, False), (2048, 256, 1024, True),
                              (2048, 1024, 256, False)]:  # fmt: skip
            x, w, b = torch.randn(n, k, generator=g), torch.randn(m, k, generator=g) * 0.05, torch.randn(m, generator=g)

            def plain(x=x, w=w, b=b, gelu=gelu):
                y = F.linear(x, w, b)
                return F.gelu(y) if gelu else y

            def ours(x=x, w=w, b=b, gelu=gelu):
                return fast_bert.dense(x, w, b, gelu)

            timing = interleaved({"plain": plain, "ours": ours}, rounds * 10)
            flops = 2 * n * k * m / 1e9
            label = f"{n} x {k} -> {m}" + (" + GELU" if gelu else "")
            rate = {key: flops / timing[key][0] for key in timing}
            print(f"{label:40s} {rate['plain']:17.1f} {rate['ours']:17.1f} {rate['ours'] / rate['plain']:6.2f}x")
            ratios[f"inference.dense_{k}_{m}" + ("_gelu" if gelu else "")] = rate["ours"] / rate["plain"]
    for name, ratio in ratios.items():
        print_ratio(name, ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ner-model", default="runs/resume-ner")
    parser.add_argument("--cls-model", default="runs/chnsenticorp")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument(
        "--tasks", default="ner,classify,matmul,bf16", help="comma-separated: ner, classify, matmul, bf16"
    )
    parser.add_argument("--token-caps", default="", help="comma-separated tokens_per_call values to also time")
    args = parser.parse_args()
    tasks = set(args.tasks.split(","))
    header("inference: zhbert API vs transformers pipelines (best of the rounds)")
    if "ner" in tasks:
        bench_ner(args.ner_model, args.rounds)
    if "classify" in tasks:
        bench_classify(args.cls_model, args.rounds, args.texts, [int(c) for c in args.token_caps.split(",") if c])
    if "matmul" in tasks:
        bench_matmul(args.rounds)
    if "bf16" in tasks:
        bench_bf16(args.ner_model, args.cls_model, args.rounds, args.texts)


if __name__ == "__main__":
    main()
