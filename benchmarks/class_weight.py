"""The same classifier fine-tuned with and without ``--class_weight balanced``, side by side: test accuracy, macro
F1, and the F1 and recall of every class, rarest first.

The task is online_shopping_10_cats' product category (10 classes; the rarest, 热水器, has 575 reviews against
10,000 for each of the five largest: counts 17x apart, as users' label sets often are). The file is split once
(seed 42: 10% test, 5% dev, the rest train) and the first N rows of each part are kept, so every part keeps the
file's class proportions. Both runs start from the shipped base ``zhbert_demo/models/mlm`` with the same seed and
arguments, and keep their best dev epoch by macro F1. A run already finished (its ``result.json``) is read back,
not rerun.

    python benchmarks/class_weight.py [--quick] [--max_seq_length 64] [--out runs/class-weight]

Full: 5,000 training rows, 2 epochs, 1,000 dev rows, the whole test part (6,277 rows); ``--quick``: 1,500
training rows, 1 epoch, 500 dev rows, 2,000 test rows. Texts are cut at 64 tokens by default (three reviews in
four are shorter), so that a run takes minutes on two CPU cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter
from pathlib import Path

from _common import REPO, SHARED_DATA, header

from zhbert.data import split_examples
from zhbert.text.files import atomic_write

SOURCE = SHARED_DATA / "online_shopping_10_cats" / "online_shopping_10_cats.csv"
BASE = REPO / "zhbert_demo" / "models" / "mlm"
VARIANTS = ("none", "balanced")


def write_splits(out: Path, n_train: int, n_dev: int, n_test: int) -> dict[str, list[str]]:
    """``out/{train,dev,test}.csv`` (``cat,review``); the labels of each part."""
    with SOURCE.open(encoding="utf-8", newline="") as handle:
        rows = [(r["cat"], r["review"]) for r in csv.DictReader(handle) if r["review"].strip()]
    train, dev, test = split_examples(rows, dev_percent=5, test_percent=10, seed=42)
    parts = {"train": train[:n_train], "dev": dev[:n_dev], "test": test[:n_test]}
    out.mkdir(parents=True, exist_ok=True)
    for name, part in parts.items():
        with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows([("cat", "review"), *part])
    return {name: [cat for cat, _ in part] for name, part in parts.items()}


def run(variant: str, data: Path, epochs: int, max_seq_length: int, out: Path) -> dict:
    """The test scores of one fine-tune (read back from ``out/result.json`` when it already ran)."""
    record = out / "result.json"
    if record.exists():
        return json.loads(record.read_text(encoding="utf-8"))
    from zhbert.finetune import FinetuneArguments, TaskArguments, finetune

    args = TaskArguments(
        model_name_or_path=str(BASE), train_file=str(data / "train.csv"), validation_file=str(data / "dev.csv"),
        test_file=str(data / "test.csv"), text_column="review", label_column="cat", max_seq_length=max_seq_length,
        class_weight=variant,
    )  # fmt: skip
    training = FinetuneArguments(
        output_dir=str(out), overwrite_output_dir=True, report_to="none", disable_tqdm=True, seed=42,
        num_train_epochs=epochs, per_device_train_batch_size=32, per_device_eval_batch_size=64, learning_rate=2e-4,
        warmup_steps=0.05, weight_decay=0.01, train_sampling_strategy="group_by_length",
        metric_for_best_model="macro_f1", logging_steps=50,
    )  # fmt: skip
    start = time.perf_counter()
    metrics = finetune("classify", args, training, command=f"benchmarks/class_weight.py ({variant})")
    report = json.loads((out / "metrics_report.json").read_text(encoding="utf-8"))["test"]
    result = {
        "wall_s": time.perf_counter() - start,
        "accuracy": metrics["test_accuracy"],
        "macro_f1": metrics["test_macro_f1"],
        "per_label": report,
    }
    with atomic_write(record) as handle:
        json.dump(result, handle, ensure_ascii=False, indent=1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,500 training rows, 1 epoch, 2,000 test rows (minutes)")
    parser.add_argument("--max_seq_length", type=int, default=64, help="tokens a text is cut at")
    parser.add_argument("--out", default="runs/class-weight")
    args = parser.parse_args()
    n_train, n_dev, n_test, epochs = (1500, 500, 2000, 1) if args.quick else (5000, 1000, 10**6, 2)
    out = Path(args.out) / f"{'quick' if args.quick else 'full'}-{args.max_seq_length}"
    header("class weights: online_shopping_10_cats product category, none against balanced")
    labels = write_splits(out / "data", n_train, n_dev, n_test)
    sizes = ", ".join(f"{name} {len(part)}" for name, part in labels.items())
    print(f"base {BASE.relative_to(REPO)}; rows: {sizes} (held out from one shuffle, seed 42); {epochs} epoch(s), "
          f"{args.max_seq_length} tokens")  # fmt: skip
    results = {v: run(v, out / "data", epochs, args.max_seq_length, out / v) for v in VARIANTS}
    train_counts, test_counts = Counter(labels["train"]), Counter(labels["test"])
    print()
    print("| | class_weight none | class_weight balanced | change |")
    print("|---|---|---|---|")
    for key, name in (("accuracy", "test accuracy"), ("macro_f1", "test macro F1")):
        a, b = (results[v][key] for v in VARIANTS)
        print(f"| {name} | {a:.4f} | {b:.4f} | {100 * (b - a):+.2f} points |")
    for label, n in sorted(train_counts.items(), key=lambda kv: (kv[1], kv[0])):
        a, b = (results[v]["per_label"].get(label, {}) for v in VARIANTS)
        cells = [f"{s.get('f1', 0.0):.3f} (recall {s.get('recall', 0.0):.3f})" for s in (a, b)]
        change = 100 * (b.get("f1", 0.0) - a.get("f1", 0.0))
        print(f"| F1 {label} (train {n}, test {test_counts[label]}) | {cells[0]} | {cells[1]} | {change:+.2f} points |")
    print(f"| wall time | {results['none']['wall_s']:.0f} s | {results['balanced']['wall_s']:.0f} s | |")


if __name__ == "__main__":
    main()
