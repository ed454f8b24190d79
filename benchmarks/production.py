"""Production paths side by side, on the shipped classifier and tagger: what a user would pick instead of zhbert,
and zhbert's own paths, in one run on the same texts and threads.

    python benchmarks/production.py --quick            # 300 texts of each test part, 3 rounds
    python benchmarks/production.py [--split test|dev] [--texts N] [--rounds 3] [--threads 1] [--tasks classify,ner]

Rows, each at batch 1 and batch 32 (every path gets the texts in the same calls of 1 or 32 texts, in the same
order; a path may reorder within a call):
- transformers ``pipeline`` fp32 on the model folder, as a user calls it (text-classification; token-classification
  with ``aggregation_strategy="simple"``, whose grouping reads B-/I- prefixes only: an E- token becomes an entity of
  its own and neighbouring S- tokens merge; see ``benchmarks/plain_loading.py``);
- ONNX Runtime fp32 and int8 made by hand (``benchmarks/_handmade.py``): ``torch.onnx.export`` of the plain
  transformers model (a tagger's CRF is not in it), ``quantize_dynamic``; batches padded to the longest; argmax for
  the classifier; for the tagger argmax read by seqeval's lenient ``get_entities``, and, as separate rows, a NumPy
  Viterbi held to the BIOES rules;
- zhbert ``TextClassifier`` / ``EntityTagger`` in PyTorch, default dtype (bf16 on a CPU with bf16 instructions)
  and float32;
- zhbert through its own export (``zhbert export --quantize int8``; ``export_rows``).
Every text is read up to 128 tokens (the length the models were fine-tuned with). Times are medians over
interleaved rounds, after one warm-up call per row. Reported: texts/s, the ratio to the fp32 pipeline at the same
batch size, agreement with the reference (classifier: the fp32 pipeline's labels at batch 1; tagger: EntityTagger
float32's entities at batch 1, the model's own decoding with its CRF; a sentence agrees when its entities are
identical), and accuracy or strict IOBES F1 (seqeval ``mode="strict", scheme=IOBES``) on the timed texts.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _handmade as hand
from _common import SHIPPED_MODELS, cpu_description, sample, shipped_classifier_split, shipped_tagger_split

MAX_LENGTH = 128
Run = Callable[[list[str]], list[Any]]


def in_calls(fn: Run, batch: int) -> Callable[[list[str]], list[Any]]:
    """``fn`` called on consecutive slices of ``batch`` texts, its results joined."""
    return lambda texts: [out for i in range(0, len(texts), batch) for out in fn(texts[i : i + batch])]


def timed(rows: dict[str, Callable[[list[str]], list[Any]]], texts: list[str], rounds: int):
    """Median seconds per row over ``rounds`` interleaved rounds (rows in turn, so drift hits all alike), and each
    row's outputs from its last round."""
    for fn in rows.values():
        fn(texts[:4])  # warm-up: sessions, oneDNN primitives, lazy imports
    times: dict[str, list[float]] = {name: [] for name in rows}
    outputs: dict[str, list[Any]] = {}
    for r in range(rounds):
        for name, fn in rows.items():
            start = time.perf_counter()
            outputs[name] = fn(texts)
            times[name].append(time.perf_counter() - start)
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return {name: sorted(ts)[len(ts) // 2] for name, ts in times.items()}, outputs


def export_rows(kind: str, model_dir: Path, work: Path, threads: int) -> dict[str, Run]:
    """zhbert through its own export (``zhbert export --quantize int8``): the float32 and the int8 graph of one
    exported directory, loaded with ``from_pretrained`` on ``threads`` ONNX Runtime threads."""
    from zhbert import EntityTagger, TextClassifier
    from zhbert.export import export_model

    api = TextClassifier if kind == "classify" else EntityTagger
    out = work / f"{kind}-zhbert-export"
    export_model(model_dir, out, quantize="int8", overwrite=True, threads=threads)
    rows: dict[str, Run] = {}
    for name, quantized in (("fp32", False), ("int8", True)):
        model = api.from_pretrained(out, quantized=quantized, threads=threads)
        rows[f"zhbert export {name}"] = lambda texts, m=model: m.predict(texts, batch_size=len(texts))
    return rows


def classify_rows(threads: int, work: Path) -> tuple[dict[str, Run], str]:
    from transformers import pipeline

    from zhbert import TextClassifier

    folder = SHIPPED_MODELS / "classifier"
    pipe = pipeline("text-classification", model=str(folder), device="cpu")
    print(f"classifier pipeline: {pipe.model.dtype}")
    id2label = {int(k): v for k, v in pipe.model.config.id2label.items()}
    fp32 = hand.export_onnx(folder, "AutoModelForSequenceClassification", work / "classifier.onnx")
    ort = {d: hand.OrtModel(g, folder, threads, MAX_LENGTH) for d, g in
           (("fp32", fp32), ("int8", hand.quantize_int8(fp32, work / "classifier-int8.onnx")))}  # fmt: skip
    ours = {d: TextClassifier.from_pretrained(folder, device="cpu", dtype=d) for d in (None, "float32")}
    default = f"zhbert PyTorch default ({str(ours[None].dtype).removeprefix('torch.')})"
    rows: dict[str, Run] = {
        "pipeline fp32": lambda t: [
            r["label"] for r in pipe(t, batch_size=len(t), truncation=True, max_length=MAX_LENGTH)
        ],
        "ORT fp32 (by hand)": lambda t: hand.classify(ort["fp32"], id2label, t),
        "ORT int8 (by hand)": lambda t: hand.classify(ort["int8"], id2label, t),
        default: lambda t: [r.label for r in ours[None].predict(t, batch_size=len(t))],
        "zhbert PyTorch float32": lambda t: [r.label for r in ours["float32"].predict(t, batch_size=len(t))],
    }
    exported = export_rows("classify", folder, work, threads)
    rows.update({k: (lambda t, f=f: [r.label for r in f(t)]) for k, f in exported.items()})
    return rows, "pipeline fp32"


def tag_rows(threads: int, work: Path) -> tuple[dict[str, Run], str]:
    from transformers import pipeline

    from zhbert import EntityTagger

    folder = SHIPPED_MODELS / "tagger"
    pipe = pipeline("token-classification", model=str(folder), aggregation_strategy="simple", device="cpu")
    labels = [pipe.model.config.id2label[i] for i in range(pipe.model.config.num_labels)]
    rules = hand.bioes_rules(labels)
    fp32 = hand.export_onnx(folder, "AutoModelForTokenClassification", work / "tagger.onnx")
    ort = {d: hand.OrtModel(g, folder, threads, MAX_LENGTH) for d, g in
           (("fp32", fp32), ("int8", hand.quantize_int8(fp32, work / "tagger-int8.onnx")))}  # fmt: skip
    ours = {d: EntityTagger.from_pretrained(folder, device="cpu", dtype=d) for d in (None, "float32")}
    default = f"zhbert PyTorch default ({str(ours[None].dtype).removeprefix('torch.')})"

    def spans(tagger: Any, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(e.start, e.end, e.type) for e in row] for row in tagger.predict(texts, batch_size=len(texts))]

    rows: dict[str, Run] = {
        "pipeline fp32": lambda t: [
            [(int(e["start"]), int(e["end"]), str(e["entity_group"])) for e in row]
            for row in pipe(t, batch_size=len(t))
        ],
        "ORT fp32 argmax (by hand)": lambda t: hand.tag(ort["fp32"], labels, t),
        "ORT fp32 Viterbi (by hand)": lambda t: hand.tag(ort["fp32"], labels, t, rules),
        "ORT int8 argmax (by hand)": lambda t: hand.tag(ort["int8"], labels, t),
        "ORT int8 Viterbi (by hand)": lambda t: hand.tag(ort["int8"], labels, t, rules),
        default: lambda t: spans(ours[None], t),
        "zhbert PyTorch float32": lambda t: spans(ours["float32"], t),
    }
    exported = export_rows("ner", folder, work, threads)
    rows.update({k: (lambda t, f=f: [[(e.start, e.end, e.type) for e in row] for row in f(t)])
                 for k, f in exported.items()})  # fmt: skip
    return rows, "zhbert PyTorch float32"


def report(task: str, rows: dict[str, Run], reference: str, texts: list[str], gold: list[Any], rounds: int) -> None:
    from zhbert.finetune import ner_metrics

    runs = {(name, b): in_calls(fn, b) for name, fn in rows.items() for b in (1, 32)}
    seconds, outputs = timed({f"{n} | batch {b}": fn for (n, b), fn in runs.items()}, texts, rounds)
    ref = outputs[f"{reference} | batch 1"]
    if task == "classify":
        what = "accuracy"

        def quality(out: list[Any]) -> float:
            return sum(a == b for a, b in zip(out, gold, strict=True)) / len(gold)
    else:
        what = "strict F1"

        def quality(out: list[Any]) -> float:
            return float(ner_metrics(texts, gold, out)["f1"])

    print(f"\n{task}: {len(texts)} texts; agreement with {reference} at batch 1; median of {rounds} rounds")
    print(f"{'path':36s} {'batch':>5s} {'texts/s':>9s} {'vs pipeline':>12s} {'agree':>8s} {what:>10s}")
    for b in (1, 32):
        base = seconds[f"pipeline fp32 | batch {b}"]
        for name in rows:
            key = f"{name} | batch {b}"
            agree = sum(a == r for a, r in zip(outputs[key], ref, strict=True)) / len(ref)
            print(f"{name:36s} {b:5d} {len(texts) / seconds[key]:9.1f} {base / seconds[key]:11.2f}x "
                  f"{agree:8.2%} {quality(outputs[key]):10.4f}")  # fmt: skip
    # The floors: zhbert's fastest path against the fastest peer, and against the fastest peer at its accuracy
    # (at most 0.5 points below it: a peer further below is faster at a worse answer, e.g. argmax without a CRF).
    for b in (1, 32):
        speed = {name: len(texts) / seconds[f"{name} | batch {b}"] for name in rows}
        score = {name: quality(outputs[f"{name} | batch {b}"]) for name in rows}
        ours = max((n for n in rows if n.startswith("zhbert")), key=speed.__getitem__)
        peers = [n for n in rows if not n.startswith("zhbert")]
        fastest = max(peers, key=speed.__getitem__)
        ratio = speed[ours] / speed[fastest]
        line = (f"batch {b}: zhbert's fastest, {ours} ({what} {score[ours]:.4f}), at {ratio:.2f}x the fastest "
                f"peer, {fastest} ({score[fastest]:.4f})")  # fmt: skip
        level = [n for n in peers if score[n] >= score[ours] - 0.005]
        if level and max(level, key=speed.__getitem__) != fastest:
            peer = max(level, key=speed.__getitem__)
            line += f"; {speed[ours] / speed[peer]:.2f}x the fastest within 0.5 points, {peer} ({score[peer]:.4f})"
        elif not level:
            line += "; no peer comes within 0.5 points of its " + what
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 texts per model, 3 rounds")
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    parser.add_argument("--texts", type=int, default=None, help="texts per model (default: the whole part)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tasks", default="classify,ner")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]  # rows show as they come, in a log too
    n = 300 if args.quick and args.texts is None else args.texts

    import onnxruntime
    import torch
    import transformers

    from zhbert.cores import apply_threads, choose_threads

    transformers.logging.set_verbosity_error()  # the tagger's crf.* weights, unread by plain transformers
    choice = choose_threads(args.threads)
    apply_threads(choice)
    print("# Production paths: transformers pipeline, ONNX Runtime by hand, zhbert")
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"machine: {cpu_description()}")
    print(f"threads: {choice} for torch and ONNX Runtime alike; torch {torch.__version__}, onnxruntime "
          f"{onnxruntime.__version__}, transformers {transformers.__version__}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "classify" in args.tasks:
            texts, labels = sample(n, *shipped_classifier_split(args.split))
            rows, reference = classify_rows(choice.threads, work)
            report("classify", rows, reference, texts, labels, args.rounds)
        if "ner" in args.tasks:
            texts, spans = sample(n, *shipped_tagger_split(args.split))
            rows, reference = tag_rows(choice.threads, work)
            report("ner", rows, reference, texts, spans, args.rounds)


if __name__ == "__main__":
    main()
