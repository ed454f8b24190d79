"""Do the exported graphs give the PyTorch model's answers? The shipped classifier and tagger on their dev sets.

Each model is exported with ``zhbert export --quantize int8`` and run through the API three ways: PyTorch in
float32, the float32 ONNX graph and the int8 graph. Agreement: the share of texts whose label (classifier) or
whole entity list, offsets and types (tagger) is the same as PyTorch float32's, and for the tagger also the
share of PyTorch's entities found identically. Accuracy and strict F1 against the gold labels. The floors the
export promises: float32 ONNX agrees with PyTorch on >= 99.9%; int8 within 0.5 points of float32.

    python benchmarks/export_agreement.py [--limit 500]    # --limit: the first N dev texts (quick); default all
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import tempfile
from pathlib import Path

from _devsets import MODELS, classifier_dev, tagger_dev

from zhbert import EntityTagger, TextClassifier
from zhbert.export import export_model
from zhbert.finetune import ner_metrics


def spans(tagged: list) -> list[list[tuple[int, int, str]]]:
    return [[(e.start, e.end, e.type) for e in entities] for entities in tagged]


def classifier(out: Path, limit: int | None) -> None:
    texts, gold = classifier_dev()
    texts, gold = texts[:limit], gold[:limit]
    runs = {
        "pytorch fp32": TextClassifier.from_pretrained(MODELS / "classifier", dtype="float32"),
        "onnx fp32": TextClassifier.from_pretrained(out, quantized=False),
        "onnx int8": TextClassifier.from_pretrained(out, quantized=True),
    }
    labels = {name: [c.label for c in p.predict(texts)] for name, p in runs.items()}
    ref = labels["pytorch fp32"]
    print(f"\nclassifier: {len(texts)} dev reviews (the review sets' 10% dev parts, seed 42)")
    for name, got in labels.items():
        agree = sum(a == b for a, b in zip(ref, got, strict=True)) / len(ref)
        accuracy = sum(a == b for a, b in zip(gold, got, strict=True)) / len(gold)
        print(f"  {name:13s} accuracy {accuracy:.4f}   labels agreeing with pytorch fp32 {agree:.4%}")


def tagger(out: Path, limit: int | None) -> None:
    texts, gold = tagger_dev()
    texts, gold = texts[:limit], gold[:limit]
    runs = {
        "pytorch fp32": EntityTagger.from_pretrained(MODELS / "tagger", dtype="float32"),
        "onnx fp32": EntityTagger.from_pretrained(out, quantized=False),
        "onnx int8": EntityTagger.from_pretrained(out, quantized=True),
    }
    found = {name: spans(p.predict(texts)) for name, p in runs.items()}
    ref = found["pytorch fp32"]
    total = sum(len(r) for r in ref)
    print(f"\ntagger: {len(texts)} dev sentences of MSRA NER (10% dev, seed 42), {total} entities by pytorch fp32")
    for name, got in found.items():
        same = sum(a == b for a, b in zip(ref, got, strict=True)) / len(ref)
        kept = sum(len(set(a) & set(b)) for a, b in zip(ref, got, strict=True)) / max(total, 1)
        f1 = ner_metrics(texts, gold, got)["f1"]
        print(
            f"  {name:13s} strict F1 {f1:.4f}   texts with pytorch's entities {same:.4%}   its entities kept {kept:.4%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N dev texts of each set")
    args = parser.parse_args()
    import onnxruntime
    import torch

    print("# exported graphs against PyTorch on the shipped models' dev sets")
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"machine: {platform.machine()}, torch {torch.__version__}, onnxruntime {onnxruntime.__version__}")
    with tempfile.TemporaryDirectory() as scratch:
        for kind, run in (("classifier", classifier), ("tagger", tagger)):
            out = Path(scratch) / kind
            export_model(MODELS / kind, out, quantize="int8")
            run(out, args.limit)


if __name__ == "__main__":
    main()
