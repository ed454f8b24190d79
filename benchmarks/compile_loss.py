"""Does compiling the encoder change what pretraining learns? ``wwm-pretrain`` run twice from the same seed on the
same legal text, once eager and once with ``--compile_encoder true``, everything else as it runs by default
(4 layers of 256, B=32, T=128, dropout 0.1, its default precision: bf16 autocast and fast dropout on a CPU with
bf16), then the eval losses and wall times side by side. Both runs share one prepared cache; each runs in its own
process so neither inherits the other's compiled code.

    python benchmarks/compile_loss.py [--steps 300] [--lines 4000] [--work DIR]

With ``--work DIR`` (default: a temporary folder) a run whose ``all_results.json`` is already there is read back
instead of being run again, so an interrupted comparison resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import header, law_lines, print_ratio

from zhbert.resources import BERT_BASE_CHINESE_DIR

RUNS = {"eager": [], "compiled encoder": ["--compile_encoder", "true"]}


def run(work: Path, name: str, extra: list[str], steps: int) -> dict:
    out = work / name.replace(" ", "_")
    if (out / "all_results.json").exists():
        print(f"{name}: read back from {out}")
        return json.loads((out / "all_results.json").read_text())
    args = [
        sys.executable, "-m", "wwm_pretrain", "--config_name", str(BERT_BASE_CHINESE_DIR),
        "--config_overrides", "num_hidden_layers=4,hidden_size=256,num_attention_heads=4,intermediate_size=1024",
        "--tokenizer_name", str(BERT_BASE_CHINESE_DIR), "--train_file", str(work / "law.txt"),
        "--prepared_cache_dir", str(work / "cache"), "--output_dir", str(out), "--max_seq_length", "128",
        "--per_device_train_batch_size", "32", "--max_steps", str(steps), "--learning_rate", "5e-4",
        "--warmup_steps", str(steps // 10), "--seed", "0", "--save_strategy", "no", "--logging_steps", "50",
        "--max_eval_samples", "256", "--disable_tqdm", "true", "--report_to", "none", *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if done.returncode:
        sys.exit(f"{name}: wwm-pretrain failed:\n{done.stderr[-3000:]}")
    results = json.loads((out / "all_results.json").read_text())
    results["wall_s"] = time.perf_counter() - start
    (out / "all_results.json").write_text(json.dumps(results, indent=2))
    print(f"{name}: {done.stdout.strip().splitlines()[-1]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lines", type=int, default=4000, help="lines of the legal corpus to train on")
    parser.add_argument("--work", type=Path, default=None, help="keep the runs here (resumable)")
    args = parser.parse_args()
    header("pretraining eager against the compiled encoder: eval loss after the same steps")
    work = args.work or Path(tempfile.mkdtemp(prefix="compile_loss_"))
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "law.txt").exists():
        (work / "law.txt").write_text("\n".join(law_lines(args.lines)) + "\n", encoding="utf-8")
    print(f"work folder: {work}; {args.steps} steps; {args.lines} lines of law_corpus.txt")
    results = {name: run(work, name, extra, args.steps) for name, extra in RUNS.items()}
    print(f"\n{'run':18s} {'eval loss':>10s} {'masked acc':>11s} {'train loss':>11s} {'wall s':>8s}")
    for name, r in results.items():
        print(
            f"{name:18s} {r['eval_loss']:10.4f} {r['eval_masked_accuracy']:11.4f} {r['train_loss']:11.4f} "
            f"{r.get('wall_s', float('nan')):8.0f}"
        )
    eager, compiled = results["eager"], results["compiled encoder"]
    gap = (compiled["eval_loss"] - eager["eval_loss"]) / eager["eval_loss"]
    print(f"eval loss, compiled against eager: {gap:+.2%} (floor: within 1%)")
    print_ratio("compile_loss.eval_loss_compiled_vs_eager", compiled["eval_loss"] / eager["eval_loss"])


if __name__ == "__main__":
    main()
