"""Training-step throughput: the masked-only MLM loss (wwm_pretrain) against plain BertForMaskedLM, on the same
whole-word-masked batches of the legal corpus, CPU. Also the achieved FLOP/s against this machine's measured
fp32 matmul peak.

    python benchmarks/pretrain_step.py [--rounds 3] [--steps 4]
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from _common import header, law_lines
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

from wwm_pretrain.corpus import pack_units
from wwm_pretrain.model import with_sparse_mlm_loss
from zhbert import JiebaSegmenter, WholeWordMaskCollator
from zhbert.resources import BERT_BASE_CHINESE_DIR


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * n**3 / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def step_flops(config: BertConfig, batch: dict[str, torch.Tensor], dense_head: bool) -> float:
    """Forward + backward (3x forward) FLOPs of the matmuls: encoder, attention scores, MLM head."""
    h, inter, layers, vocab = config.hidden_size, config.intermediate_size, config.num_hidden_layers, config.vocab_size
    b, t = batch["input_ids"].shape
    tokens = b * t
    encoder = layers * tokens * 2 * (4 * h * h + 2 * h * inter)
    attention = layers * b * 2 * 2 * t * t * h
    rows = tokens if dense_head else int((batch["labels"] != -100).sum())
    head = rows * 2 * (h * h + h * vocab)
    return 3.0 * (encoder + attention + head)


def measure(config: BertConfig, batches: list[dict[str, torch.Tensor]], rounds: int, steps: int) -> dict[str, float]:
    torch.manual_seed(0)
    dense = BertForMaskedLM(config)
    sparse = with_sparse_mlm_loss(copy.deepcopy(dense))
    models = {"dense": dense, "sparse": sparse}
    optims = {k: torch.optim.AdamW(m.parameters(), lr=1e-4) for k, m in models.items()}

    def train(name: str, k: int) -> float:
        model, opt = models[name], optims[name]
        start = time.perf_counter()
        for i in range(k):
            loss = model(**batches[i % len(batches)]).loss
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        return time.perf_counter() - start

    for name in models:
        train(name, 1)  # warm-up
    best = {name: float("inf") for name in models}
    for _ in range(rounds):
        for name in models:
            best[name] = min(best[name], train(name, steps))
    tokens = sum(int(batches[i % len(batches)]["attention_mask"].sum()) for i in range(steps))
    flops = {
        "dense": sum(step_flops(config, batches[i % len(batches)], True) for i in range(steps)),
        "sparse": sum(step_flops(config, batches[i % len(batches)], False) for i in range(steps)),
    }
    return {
        **{f"{k}_tokens_per_s": tokens / best[k] for k in models},
        **{f"{k}_flops_per_s": flops[k] / best[k] for k in models},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    header("pretraining step: tokens/s, masked-only loss vs dense BertForMaskedLM")

    tokenizer = AutoTokenizer.from_pretrained(str(BERT_BASE_CHINESE_DIR))
    packed = pack_units(["\n".join(law_lines(1500))], tokenizer, JiebaSegmenter(), 128)
    rows = [dict(zip(packed, values, strict=True)) for values in zip(*packed.values(), strict=True)]
    rows = [{**row, "idx": i} for i, row in enumerate(rows) if len(row["input_ids"]) == 128]
    collator = WholeWordMaskCollator(tokenizer, seed=0)
    peak = matmul_peak()
    print(f"measured fp32 matmul peak (2048x2048 torch.mm): {peak / 1e9:.1f} GFLOP/s")
    print(f"{'model':38s} {'B':>3s} {'T':>4s} {'dense tok/s':>12s} {'ours tok/s':>11s} {'ratio':>6s} "
          f"{'ours GFLOP/s':>13s} {'of peak':>8s}")  # fmt: skip
    sizes = [
        ("4 layers, hidden 256", BertConfig(hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                                            intermediate_size=1024), 32, args.steps),
        ("bert-base (12 layers, hidden 768)", BertConfig(), 8, max(2, args.steps // 2)),
    ]  # fmt: skip
    for label, config, batch_size, steps in sizes:
        config.vocab_size = len(tokenizer)
        batches = [collator(rows[i : i + batch_size]) for i in range(0, batch_size * 4, batch_size)]
        r = measure(config, batches, args.rounds, steps)
        ratio = r["sparse_tokens_per_s"] / r["dense_tokens_per_s"]
        print(
            f"{label:38s} {batch_size:3d} {128:4d} {r['dense_tokens_per_s']:12.0f} {r['sparse_tokens_per_s']:11.0f} "
            f"{ratio:5.2f}x {r['sparse_flops_per_s'] / 1e9:13.1f} {r['sparse_flops_per_s'] / peak:8.0%}"
        )


if __name__ == "__main__":
    main()
