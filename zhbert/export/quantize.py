"""Dynamic int8 quantization of an exported graph, and whether this CPU computes int8 fast.

ONNX Runtime's dynamic int8 runs its matrix products on int8 dot-product instructions where the CPU has them
(x86: AVX-512 VNNI, AVX-VNNI, AMX; arm: the dot-product extension). Without them int8 can be slower than
float32, and on some older x86 CPUs it loses accuracy (the u8 x s8 products saturate), so an export to int8 on
such a CPU measures both graphs and refuses unless asked.

Graph fusion (onnxruntime.transformers.optimizer) before quantizing was measured and left out: on the shipped
tagger (hidden 256, 1 thread, a shared 2-core Intel Xeon with VNNI and AMX, MSRA NER dev sentences) the fused
int8 graph ran 1.2x slower than the unfused one at batch 1 and at batch 32, with or without its attention
quantized (ONNX Runtime's own run-time fusions of the plain graph do better).
"""

from __future__ import annotations

import platform
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["INT8_INSTRUCTIONS", "cpu_flags", "int8_instructions", "quantize_int8", "time_graph"]

# /proc/cpuinfo flags of the instructions ONNX Runtime's int8 kernels use (x86; arm's "asimddp").
INT8_INSTRUCTIONS = ("avx512_vnni", "avx_vnni", "amx_int8", "asimddp")


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> set[str]:
    """The CPU's feature flags (``flags`` on x86, ``Features`` on arm); empty where there is no cpuinfo."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    flags: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            flags.update(value.split())
    return flags


def int8_instructions(flags: Iterable[str] | None = None) -> list[str]:
    """Which int8 dot-product instructions the CPU has (from ``flags``, default this CPU's); on macOS arm64,
    ``["asimddp"]`` (every Apple chip has it)."""
    if flags is None:
        if platform.system() == "Darwin" and platform.machine() == "arm64":
            return ["asimddp"]
        flags = cpu_flags()
    have = set(flags)
    return [name for name in INT8_INSTRUCTIONS if name in have]


def quantize_int8(source: Path, target: Path) -> str:
    """Write ``source`` dynamically quantized to int8 weights (per tensor, signed) at ``target``; returns how.

    ``quant_pre_process`` (ONNX Runtime's shape inference and graph clean-up) runs first, as ONNX Runtime
    advises; its symbolic shape inference does not complete on these graphs, so it runs with ONNX's own.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_dynamic(
            str(prepared),
            str(target),
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    return "onnxruntime.quantization.quantize_dynamic (QInt8 weights, per tensor) after quant_pre_process"


def time_graph(run: Callable[[], object], rounds: int = 5, repeat: int = 3) -> float:
    """The best of ``rounds`` mean times (seconds) of ``repeat`` calls of ``run``, after one warm-up call."""
    run()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            run()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best
