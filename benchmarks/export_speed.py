"""zhbert's exported int8 path through its API against an ONNX Runtime int8 path made by hand, side by side.

The hand-made path is what a user writes: ``torch.onnx.export`` of the checkpoint as transformers loads it
(TorchScript exporter, dynamic batch and length, opset 17), ``quantize_dynamic`` (QInt8), then batches in input
order padded to the longest, ``session.run`` and NumPy after it: argmax for the classifier; for the tagger a
per-sentence NumPy Viterbi over the CRF's learned scores (read from the checkpoint, its forbidden moves at the
CRF's own -10000), windows cut at 128 tokens. zhbert's path: ``zhbert export --quantize int8``, then
``TextClassifier`` / ``EntityTagger.from_pretrained(OUT, threads=1)``. Both run on 1 ONNX Runtime thread, on the
shipped models' dev sets (MSRA NER for the tagger, the review sets for the classifier), batch 32 and batch 1
(one text per model call: ``predict(texts, batch_size=1)`` against the hand-made loop over the texts), and "1 a
call": one ``predict([text])`` per text, the latency path, against the same hand-made loop. Rounds are
interleaved and the best of them is kept (the machine may be shared); the ratio is hand-made time / zhbert time
(above 1: zhbert is faster). Accuracy / strict F1 of both on the timed texts.

    python benchmarks/export_speed.py [--quick] [--rounds 5] [--texts 1024] [--texts-b1 300]
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _common import interleaved, print_ratio
from _devsets import MODELS, classifier_dev, tagger_dev

from zhbert import EntityTagger, TextClassifier
from zhbert.export import export_model, int8_instructions
from zhbert.finetune import ner_metrics
from zhbert.tagging import tags_to_spans

MAX_LENGTH = 128


def hand_int8(model_dir: Path, kind: str, work: Path) -> tuple[object, object, object]:
    """The session, tokenizer and model of the hand-made path."""
    import onnxruntime as ort
    import torch
    import transformers
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from zhbert.models import load_token_classifier

    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    if kind == "tagger":
        model = load_token_classifier(model_dir).eval()  # for its CRF's scores only; the graph is the plain model
        plain = transformers.AutoModelForTokenClassification.from_pretrained(model_dir).eval()
    else:
        model = plain = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    enc = tokenizer(["今天天气很好", "北京"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "length"} for n in names}
    axes["logits"] = {0: "batch", 1: "length"} if kind == "tagger" else {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(plain, tuple(enc[n] for n in names), str(work / f"{kind}.onnx"), input_names=names,
                          output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)  # fmt: skip
    quantize_dynamic(str(work / f"{kind}.onnx"), str(work / f"{kind}.int8.onnx"), weight_type=QuantType.QInt8)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    session = ort.InferenceSession(str(work / f"{kind}.int8.onnx"), options, providers=["CPUExecutionProvider"])
    return session, tokenizer, model


def hand_classify(session: object, tokenizer: object, labels: list[str], texts: list[str], batch: int) -> list[str]:
    out = []
    for i in range(0, len(texts), batch):
        enc = tokenizer(texts[i : i + batch], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="np")
        logits = session.run(["logits"], {k: v.astype(np.int64) for k, v in enc.items()})[0]
        out.extend(labels[j] for j in logits.argmax(-1))
    return out


def numpy_viterbi(emissions: np.ndarray, start: np.ndarray, trans: np.ndarray, end: np.ndarray) -> list[int]:
    """The textbook NumPy Viterbi over one sentence, (T, L)."""
    score = start + emissions[0]
    back = []
    for t in range(1, len(emissions)):
        total = score[:, None] + trans + emissions[t][None, :]
        back.append(total.argmax(0))
        score = total.max(0)
    best = [int((score + end).argmax())]
    for pointers in reversed(back):
        best.append(int(pointers[best[-1]]))
    return best[::-1]


def hand_tag(session: object, tokenizer: object, model: object, texts: list[str], batch: int) -> list[list]:
    crf = model.crf
    start, trans, end = (s.detach().numpy() for s in crf._scores())
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    out = []
    for i in range(0, len(texts), batch):
        enc = tokenizer(texts[i : i + batch], padding=True, truncation=True, max_length=MAX_LENGTH,
                        return_offsets_mapping=True, return_tensors="np")  # fmt: skip
        offsets = enc.pop("offset_mapping")
        logits = session.run(["logits"], {k: v.astype(np.int64) for k, v in enc.items()})[0]
        for r, n in enumerate(enc["attention_mask"].sum(1)):
            if n <= 2:
                out.append([])
                continue
            path = numpy_viterbi(logits[r, 1 : n - 1], start, trans, end)
            spans = tags_to_spans([id2label[p] for p in path], "BIOES", fix=True)
            where = offsets[r, 1 : n - 1]
            out.append([(int(where[a][0]), int(where[b - 1][1]), kind) for a, b, kind in spans])
    return out


def spans_of(tagged: list) -> list[list[tuple[int, int, str]]]:
    return [[(e.start, e.end, e.type) for e in entities] for entities in tagged]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="256 texts at batch 32, 100 at batch 1, 3 rounds")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--texts", type=int, default=1024, help="texts timed at batch 32")
    parser.add_argument("--texts-b1", type=int, default=300, help="texts timed at batch 1")
    args = parser.parse_args()
    if args.quick:
        args.texts, args.texts_b1, args.rounds = 256, 100, 3
    import onnxruntime

    print("# zhbert export int8 (API) vs hand-made ONNX Runtime int8")
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, int8 instructions "
          f"{int8_instructions() or 'none'}, onnxruntime {onnxruntime.__version__}, 1 thread each")  # fmt: skip
    ratios = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for kind, load in (("classifier", classifier_dev), ("tagger", tagger_dev)):
            ratios.update(bench(kind, load, args, work))
    for name, ratio in ratios.items():
        print_ratio(name, ratio)


def bench(
    kind: str, load: Callable[[], tuple[list[str], list]], args: argparse.Namespace, work: Path
) -> dict[str, float]:
    """Time and score both paths on ``kind``'s dev texts, print the figures and return the ratios by name."""
    rng = np.random.default_rng(0)
    texts, gold = load()
    order = rng.permutation(len(texts))
    pick = [texts[i] for i in order[: args.texts]]
    gold_pick = [gold[i] for i in order[: args.texts]]
    single = pick[: args.texts_b1]
    start = time.perf_counter()
    export_model(MODELS / kind, work / f"zhbert-{kind}", quantize="int8", threads=1)
    print(f"\n{kind}: exported in {time.perf_counter() - start:.1f} s; {len(pick)} dev texts at batch 32, "
          f"{len(single)} at batch 1")  # fmt: skip
    session, tokenizer, model = hand_int8(MODELS / kind, kind, work)
    if kind == "classifier":
        ours = TextClassifier.from_pretrained(work / f"zhbert-{kind}", quantized=True, threads=1)
        labels = ours.labels

        def hand(xs: list[str], b: int) -> list:
            return hand_classify(session, tokenizer, labels, xs, b)

        def zh(xs: list[str], b: int) -> list:
            return [c.label for c in ours.predict(xs, batch_size=b)]

        def score(pred: list) -> float:
            return float(np.mean([p == g for p, g in zip(pred, gold_pick, strict=True)]))
    else:
        ours = EntityTagger.from_pretrained(work / f"zhbert-{kind}", quantized=True, threads=1)

        def hand(xs: list[str], b: int) -> list:
            return hand_tag(session, tokenizer, model, xs, b)

        def zh(xs: list[str], b: int) -> list:
            return spans_of(ours.predict(xs, batch_size=b))

        def score(pred: list) -> float:
            return float(ner_metrics(pick, gold_pick, pred)["f1"])

    runs = {
        "hand b32": lambda: hand(pick, 32),
        "zhbert b32": lambda: zh(pick, 32),
        "hand b1": lambda: hand(single, 1),
        "zhbert b1": lambda: zh(single, 1),
        "hand b1 calls": lambda: [hand([t], 1) for t in single],
        "zhbert b1 calls": lambda: [zh([t], 1) for t in single],
    }
    timing = interleaved(runs, args.rounds)
    metric = "accuracy" if kind == "classifier" else "strict F1"
    print(f"  {metric}: hand {score(hand(pick, 32)):.4f}, zhbert {score(zh(pick, 32)):.4f}")
    rows = (("b32", len(pick), "batch 32"), ("b1", len(single), "batch  1"), ("b1 calls", len(single), "1 a call"))
    ratios = {}
    for b, n, name in rows:
        h, z = timing[f"hand {b}"][0], timing[f"zhbert {b}"][0]
        print(f"  {name}: hand {n / h:8.1f} texts/s, zhbert {n / z:8.1f} texts/s, ratio {h / z:.2f}x")
        ratios[f"export_speed.{kind}_{b.replace(' ', '_')}"] = h / z
    return ratios


if __name__ == "__main__":
    main()
