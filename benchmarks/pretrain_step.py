"""Training-step throughput in float32 and bf16: plain BertForMaskedLM (dense loss) against the masked-only loss
of wwm_pretrain, on the same whole-word-masked batches of the legal corpus, CPU, from the same weights. bf16 is
autocast as Trainer runs it (float32 master weights, fused AdamW: Trainer's default optimizer). Useful FLOP/s
(the matmuls a dense or masked-only step needs) are given as a fraction of this machine's bf16 and float32
matmul peaks, measured in the same run. The first steps' losses of each variant are printed beside float32's.

Each size is measured twice: with BERT's dropout of 0.1, and with dropout off (the demo base's recipe, and
common when pretraining from scratch). "eager" rows use transformers' eager attention instead of SDPA
(``wwm-pretrain --attn_implementation eager``). "fast dropout" rows swap in ``zhbert.models.use_fast_dropout``
(masks from 16-bit lanes of random int64 instead of ``bernoulli_``, ``--fast_dropout true``), whose attention is
transformers' eager one with the fast mask; their losses are compared with float32's fast-dropout row, which draws
the same masks. "compiled" rows run the model through ``torch.compile`` (inductor; ``--compile-mode``, default
mode unless given), compiled during the 3 warm-up steps, whose wall time is printed: the whole model
("compiled"), or its encoder alone in place ("compiled encoder": the gather of masked rows, the head and the
chunked loss stay eager). Inside a compiled region the fast dropout runs torch's dropout, which inductor fuses
(its masks then differ from the eager rows'). ``--compile`` measures wwm-pretrain's default step on a CPU with
bf16 (autocast, fast dropout, masked-only loss) eager and compiled, 4 layers, dropout 0.1; ``--profile ROW``
then prints where that row's step time goes, by groups of torch ops (torch.profiler, self CPU time).

A first table times the dropout of one attention-probability tensor (32 x 4 x 128 x 128) alone, forward and
backward: torch's against ``fast_dropout``, in bf16 and float32.

    python benchmarks/pretrain_step.py [--rounds 3] [--steps 4] [--sizes small,base] [--dropout 0.1,0]
        [--threads N] [--variants "fp32 masked-only,bf16 masked-only fast dropout"]
        [--compile [--compile-mode max-autotune]] [--profile "bf16 masked-only fast dropout"]

Quick, eager against compiled:  python benchmarks/pretrain_step.py --compile --rounds 2 --steps 2
"""

from __future__ import annotations

import argparse
import copy
import time
from contextlib import nullcontext
from typing import Any

import torch
from _common import header, law_lines
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

from wwm_pretrain.corpus import pack_units
from wwm_pretrain.model import with_sparse_mlm_loss
from zhbert import JiebaSegmenter, WholeWordMaskCollator
from zhbert.models import fast_dropout, use_fast_dropout
from zhbert.resources import BERT_BASE_CHINESE_DIR

VARIANTS = [
    "fp32 dense",
    "fp32 masked-only",
    "fp32 masked-only eager",
    "fp32 masked-only fast dropout",
    "bf16 dense",
    "bf16 masked-only",
    "bf16 masked-only eager",
    "bf16 masked-only fast dropout",
    "bf16 weights masked-only fast dropout",
    "bf16 masked-only compiled",
    "bf16 masked-only fast dropout compiled",
    "bf16 masked-only fast dropout compiled encoder",
]
# --compile: wwm-pretrain's default step on a CPU with bf16 (autocast, fast dropout, masked-only loss), eager
# and compiled side by side.
COMPILE_VARIANTS = [
    "fp32 masked-only",
    "bf16 masked-only fast dropout",
    "bf16 masked-only fast dropout compiled",
    "bf16 masked-only fast dropout compiled encoder",
]


class MasterWeightsAdamW:
    """Fused AdamW on float32 copies of a bf16 model's weights: the gradients are copied up before each step and
    the new weights copied down after it. The "bf16 weights" row runs the layers in bf16 this way, with no
    autocast, so no op casts its inputs; LayerNorm keeps float32 weights (its input and output are bf16)."""

    def __init__(self, model: torch.nn.Module, lr: float) -> None:
        """``model`` still in float32: the masters are its exact weights; cast it with ``to_bf16_weights`` after."""
        kept = {id(p) for p in layer_norm_parameters(model)}  # float32 in the bf16 model too
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.low = [p for p in self.params if id(p) not in kept]
        self.masters: list[torch.Tensor] = [p.detach().float().clone().requires_grad_() for p in self.low]
        high: list[torch.Tensor] = [p for p in self.params if id(p) in kept]
        self.inner = torch.optim.AdamW(self.masters + high, lr=lr, fused=True)

    def step(self) -> None:
        for master, param in zip(self.masters, self.low, strict=True):
            master.grad = param.grad.float() if param.grad is not None else None
        self.inner.step()
        torch._foreach_copy_([p.data for p in self.low], self.masters)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for tensor in (*self.params, *self.masters):
            tensor.grad = None


def layer_norm_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters that ``to_bf16_weights`` keeps in float32."""
    return [p for m in model.modules() if isinstance(m, torch.nn.LayerNorm) for p in m.parameters()]


def to_bf16_weights(model: torch.nn.Module) -> torch.nn.Module:
    model.to(torch.bfloat16)
    for param in layer_norm_parameters(model):
        param.data = param.data.float()
    return model


def matmul_peak(dtype: torch.dtype, n: int = 2048, repeats: int = 5) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * n**3 / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def dropout_alone(rounds: int = 20) -> None:
    """Forward and backward of one dropout at p=0.1 on (32, 4, 128, 128), torch's and the fast one, interleaved."""
    print("\ndropout of a (32, 4, 128, 128) tensor at p=0.1, forward + backward, best of", rounds)
    for dtype in (torch.bfloat16, torch.float32):
        x = torch.randn(32, 4, 128, 128, dtype=dtype, requires_grad=True)
        grad = torch.randn_like(x)
        fns = {
            "torch": lambda x=x, grad=grad: torch.nn.functional.dropout(x, 0.1, training=True).backward(grad),
            "fast": lambda x=x, grad=grad: fast_dropout(x, 0.1).backward(grad),
        }
        best = {name: float("inf") for name in fns}
        for _ in range(rounds):
            for name, fn in fns.items():
                best[name] = min(best[name], _timed(fn))
        name = str(dtype).removeprefix("torch.")
        print(f"  {name:9s} torch {best['torch'] * 1e3:6.2f} ms   fast {best['fast'] * 1e3:6.2f} ms   "
              f"{best['torch'] / best['fast']:.1f}x")  # fmt: skip


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


def build(
    init: torch.nn.Module, name: str, compile_mode: str | None = None
) -> tuple[torch.nn.Module, torch.optim.Optimizer | MasterWeightsAdamW]:
    """A copy of ``init`` set up as the row ``name`` says, and its optimizer."""
    model: Any = copy.deepcopy(init)
    if "eager" in name or "fast dropout" in name:
        model.set_attn_implementation("eager")
    if "fast dropout" in name:
        use_fast_dropout(model)  # inside a compiled region, fast_dropout runs torch's dropout
    if "masked-only" in name:
        model = with_sparse_mlm_loss(model)
    opt: torch.optim.Optimizer | MasterWeightsAdamW
    if name.startswith("bf16 weights"):
        opt = MasterWeightsAdamW(model, lr=1e-4)  # masters from the float32 weights
        to_bf16_weights(model)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    if name.endswith("compiled"):  # inductor, the whole model; compiled in the warm-up steps
        model = torch.compile(model, mode=compile_mode)
    elif name.endswith("compiled encoder"):  # the encoder alone, in place; the head and loss stay eager
        model.base_model.compile(mode=compile_mode)
    return model, opt


def train_steps(
    model: torch.nn.Module,
    opt: torch.optim.Optimizer | MasterWeightsAdamW,
    name: str,
    batches: list[dict[str, torch.Tensor]],
    k: int,
) -> tuple[float, list[float]]:
    """``k`` steps (forward, backward, optimizer) as the row ``name`` runs them: wall seconds and the losses."""
    autocast = name.startswith("bf16") and not name.startswith("bf16 weights")
    cast = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else nullcontext()
    losses = []
    start = time.perf_counter()
    for i in range(k):
        with cast:
            loss = model(**batches[i % len(batches)]).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
    return time.perf_counter() - start, losses


def measure(
    config: BertConfig,
    batches: list[dict[str, torch.Tensor]],
    rounds: int,
    steps: int,
    variants: list[str],
    compile_mode: str | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    """Per variant: tokens/s, useful FLOP/s (best of ``rounds``) and the wall time of its 3 warm-up steps (the
    compile, for compiled rows); and the losses of its first steps from the shared initial weights."""
    torch.manual_seed(0)
    init = BertForMaskedLM(config)
    built = {name: build(init, name, compile_mode) for name in variants}

    def train(name: str, k: int) -> tuple[float, list[float]]:
        return train_steps(*built[name], name, batches, k)

    first, warmup = {}, {}
    for name in variants:  # also the warm-up; the same dropout masks' seed for each
        torch.manual_seed(1)
        warmup[name], first[name] = train(name, 3)
    best = {name: float("inf") for name in variants}
    for _ in range(rounds):
        for name in variants:
            best[name] = min(best[name], train(name, steps)[0])
    tokens = sum(int(batches[i % len(batches)]["attention_mask"].sum()) for i in range(steps))
    out = {}
    for name in variants:
        flops = sum(step_flops(config, batches[i % len(batches)], "dense" in name) for i in range(steps))
        out[name] = {"tokens_per_s": tokens / best[name], "flops_per_s": flops / best[name], "warmup_s": warmup[name],
                     "step_s": best[name] / steps}  # fmt: skip
    return out, first


# Where a step's CPU time goes: aten ops by their self time, in these groups (the rest is "other").
OP_GROUPS = {
    "matrix products": ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"),
    "softmax (attention; the loss's chunks)": ("aten::_softmax", "aten::_softmax_backward_data", "aten::_log_softmax"),
    "layer norm": ("aten::native_layer_norm", "aten::native_layer_norm_backward"),
    "GELU": ("aten::gelu", "aten::gelu_backward"),
    "dropout masks": ("aten::random_", "aten::ge", "aten::bernoulli_", "aten::native_dropout"),
    "multiplies and adds": ("aten::mul", "aten::mul_", "aten::add", "aten::add_", "aten::div", "aten::sub_"),
    "casts and copies": ("aten::copy_", "aten::_to_copy", "aten::clone", "aten::contiguous"),
    "AdamW": ("aten::_fused_adamw_",),
    "gathers, embeddings, indexing": ("aten::index", "aten::embedding_dense_backward", "aten::index_select",
                                      "aten::gather", "aten::nonzero", "aten::index_put_", "aten::embedding"),
    "allocation and zeroing": ("aten::empty", "aten::zero_", "aten::fill_", "aten::zeros", "aten::empty_like"),
}  # fmt: skip


def profile_step(
    config: BertConfig, batches: list[dict[str, torch.Tensor]], name: str, steps: int, compile_mode: str | None
) -> None:
    """Self CPU time per step of the row ``name``, by the groups of ``OP_GROUPS``, after 3 warm-up steps."""
    from torch.profiler import ProfilerActivity, profile

    torch.manual_seed(0)
    model, opt = build(BertForMaskedLM(config), name, compile_mode)
    train_steps(model, opt, name, batches, 3)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        wall = train_steps(model, opt, name, batches, steps)[0]
    owner = {op: group for group, ops in OP_GROUPS.items() for op in ops}
    times: dict[str, float] = {}
    ops: dict[str, float] = {}
    for event in prof.key_averages():
        group = owner.get(event.key, "other")
        times[group] = times.get(group, 0.0) + event.self_cpu_time_total / 1e3 / steps
        if group == "other":
            ops[event.key] = ops.get(event.key, 0.0) + event.self_cpu_time_total / 1e3 / steps
    total = sum(times.values())
    print(f"\nprofile of {name}: {steps} steps, {wall / steps * 1e3:.0f} ms a step with the profiler on; "
          f"self CPU time of the ops, ms per step (summed over threads' op calls)")  # fmt: skip
    for group, ms in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"  {group:40s} {ms:8.1f} {ms / total:6.1%}")
    top = ", ".join(f"{op} {ms:.1f}" for op, ms in sorted(ops.items(), key=lambda kv: -kv[1])[:8])
    print(f"  largest in other: {top}")
    casts = [e for e in prof.key_averages(group_by_input_shape=True) if owner.get(e.key) == "casts and copies"]
    print("  largest casts and copies, by the shapes of their inputs (ms per step, calls per step):")
    for event in sorted(casts, key=lambda e: -e.self_cpu_time_total)[:10]:
        shapes = " ".join(str(tuple(shape)) for shape in event.input_shapes if shape)
        print(
            f"    {event.key:22s} {event.self_cpu_time_total / 1e3 / steps:8.1f} {event.count / steps:5.0f}  {shapes}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--sizes", default=None, help="comma-separated: small (4x256, B=32), base (B=8)")
    parser.add_argument("--dropout", default=None, help="comma-separated dropout rates (hidden and attention)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated rows to measure")
    parser.add_argument(
        "--compile", action="store_true", help="eager against compiled rows: " + ", ".join(COMPILE_VARIANTS)
    )
    parser.add_argument("--compile-mode", default=None, help="torch.compile mode (default, max-autotune, ...)")
    parser.add_argument("--profile", default=None, help="a row to profile with torch.profiler after the table")
    args = parser.parse_args()
    if args.compile:
        args.variants = ",".join(COMPILE_VARIANTS)
    args.sizes = args.sizes or ("small" if args.compile else "small,base")
    args.dropout = args.dropout or ("0.1" if args.compile else "0.1,0")
    if args.threads:
        torch.set_num_threads(args.threads)
    variants = [v.strip() for v in args.variants.split(",")]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown or "fp32 masked-only" not in variants:
        parser.error(f"--variants: unknown {unknown} (the rows: {VARIANTS}; fp32 masked-only is the reference)")
    header("pretraining step: tokens/s in float32 and bf16, dense loss vs masked-only loss")

    tokenizer = AutoTokenizer.from_pretrained(str(BERT_BASE_CHINESE_DIR))
    packed = pack_units(["\n".join(law_lines(1500))], tokenizer, JiebaSegmenter(), 128)
    rows = [dict(zip(packed, values, strict=True)) for values in zip(*packed.values(), strict=True)]
    rows = [{**row, "idx": i} for i, row in enumerate(rows) if len(row["input_ids"]) == 128]
    collator = WholeWordMaskCollator(tokenizer, seed=0)
    peak32, peak16 = matmul_peak(torch.float32), matmul_peak(torch.bfloat16)
    print(
        f"measured matmul peaks (2048x2048 torch.mm): fp32 {peak32 / 1e9:.1f} GFLOP/s, bf16 {peak16 / 1e9:.1f} GFLOP/s"
    )
    if not args.compile:
        dropout_alone()
    sizes = {
        "small": ("4 layers, hidden 256", BertConfig(hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                                                     intermediate_size=1024), 32, args.steps),
        "base": ("bert-base (12 layers, hidden 768)", BertConfig(), 8, max(2, args.steps // 2)),
    }  # fmt: skip
    for key, dropout in ((k, float(d)) for k in args.sizes.split(",") for d in args.dropout.split(",")):
        label, config, batch_size, steps = sizes[key]
        config = copy.deepcopy(config)
        config.vocab_size = len(tokenizer)
        config.hidden_dropout_prob = config.attention_probs_dropout_prob = dropout
        batches = [collator(rows[i : i + batch_size]) for i in range(0, batch_size * 4, batch_size)]
        r, first = measure(config, batches, args.rounds, steps, variants, args.compile_mode)
        base = r["fp32 masked-only"]["tokens_per_s"]
        width = max(len(name) for name in variants)
        print(
            f"\n{label}, dropout {dropout:g}, B={batch_size}, T=128, {steps} steps per round, "
            f"best of {args.rounds} rounds"
        )
        print(f"{'variant':{width}s} {'tok/s':>8s} {'vs fp32 masked-only':>20s} {'useful GFLOP/s':>15s} "
              f"{'of bf16 peak':>13s} {'of fp32 peak':>13s}")  # fmt: skip
        for name in variants:
            tps, fps = r[name]["tokens_per_s"], r[name]["flops_per_s"]
            shares = f"{fps / peak16:13.0%} {fps / peak32:13.0%}"
            print(f"{name:{width}s} {tps:8.0f} {tps / base:19.2f}x {fps / 1e9:15.1f} {shares}")
        print(f"warm-up, 3 steps (compiled rows: compile included; mode {args.compile_mode or 'default'}):")
        for name in variants:
            warm, step = r[name]["warmup_s"], r[name]["step_s"]
            print(f"  {name:{width}s} {warm:7.1f} s   (3 steady steps: {3 * step:5.2f} s)")
        print("losses of the first 3 steps (same weights, same batches):")
        for name in variants:
            twin = "fp32 " + name.split(" ", 1)[1].removeprefix("weights ")
            ref = first.get(twin if name.endswith(("dense", "fast dropout")) else "", first["fp32 masked-only"])
            diffs = ", ".join(f"{(a - b) / b:+.2%}" for a, b in zip(first[name], ref, strict=True))
            print(f"  {name:{width}s} {' '.join(f'{x:.4f}' for x in first[name])}   vs fp32: {diffs}")
        if args.profile:
            profile_step(config, batches, args.profile, steps, args.compile_mode)


if __name__ == "__main__":
    main()
