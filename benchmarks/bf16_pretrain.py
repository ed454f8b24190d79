"""A short ``wwm-pretrain`` run in float32 and in bf16 from the same seed: the eval loss each ends with, and the
wall time of each. Same corpus, same batches (the collator's masks follow the seed), same starting weights.

    python benchmarks/bf16_pretrain.py [--steps 300] [--batch 16] [--layers 4] [--hidden 256]
        [--corpus zhbert_demo/data/law_corpus.txt]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, header

from zhbert.resources import BERT_BASE_CHINESE_DIR


def run(precision: str, args: argparse.Namespace, work: Path) -> tuple[dict, float]:
    out = work / precision
    command = [
        sys.executable, "-m", "wwm_pretrain", "--config_name", str(BERT_BASE_CHINESE_DIR),
        "--tokenizer_name", str(BERT_BASE_CHINESE_DIR),
        "--config_overrides",
        f"num_hidden_layers={args.layers},hidden_size={args.hidden},num_attention_heads={max(1, args.hidden // 64)},"
        f"intermediate_size={4 * args.hidden}",
        "--train_file", args.corpus, "--prepared_cache_dir", str(work / "cache"), "--output_dir", str(out),
        "--max_seq_length", "128", "--per_device_train_batch_size", str(args.batch), "--max_steps", str(args.steps),
        "--learning_rate", "5e-4", "--warmup_steps", "0.1", "--seed", "0", "--save_strategy", "no",
        "--logging_steps", "50", "--report_to", "none", "--disable_tqdm", "true", "--use_cpu", "true",
        "--bf16", "true" if precision == "bf16" else "false",
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return json.loads((out / "all_results.json").read_text()), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--corpus", default=str(REPO / "zhbert_demo" / "data" / "law_corpus.txt"))
    args = parser.parse_args()
    header("wwm-pretrain in float32 and bf16, same seed")
    shape = f"{args.layers} layers, hidden {args.hidden}, B={args.batch}, T=128"
    print(f"{shape}, {args.steps} steps, lr 5e-4, corpus {args.corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        results = {p: run(p, args, Path(tmp)) for p in ("float32", "bf16")}
    for precision, (metrics, seconds) in results.items():
        print(f"{precision:8s} eval_loss {metrics['eval_loss']:.4f}  eval_masked_accuracy "
              f"{metrics['eval_masked_accuracy']:.4f}  wall {seconds:.0f} s")  # fmt: skip
    a, b = results["float32"][0]["eval_loss"], results["bf16"][0]["eval_loss"]
    ratio = results["bf16"][1] / results["float32"][1]
    print(f"bf16 eval loss against float32: {(b - a) / a:+.2%}; wall time bf16 / float32: {ratio:.2f}")


if __name__ == "__main__":
    main()
