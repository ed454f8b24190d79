"""Which float type zhbert computes in: bf16 where the hardware multiplies it natively, float32 elsewhere.

A CPU multiplies bf16 natively only with the ``avx512_bf16`` or ``amx_bf16`` instructions. Without them, torch
emulates bf16 matrix products, several times slower than float32 (docs/benchmarks.md), so zhbert keeps float32
there. The environment variable ``ZHBERT_CPU_BF16`` (``0`` or ``1``) overrides the check, e.g. to see the
float32 path on a machine that has bf16.

- Training (``wwm-pretrain``, ``zhbert train``): ``--bf16`` left unset means bf16 autocast on a CPU with bf16,
  float32 elsewhere; on a GPU the usual transformers flags apply (unset means float32). Master weights and the
  optimizer stay float32; the losses (cross-entropy, the CRF) are computed in float32.
- Inference (``TextClassifier``, ``EntityTagger``, ``MaskFiller``): ``dtype=None`` means bf16 on a CPU with bf16
  and on a GPU that supports it, float32 elsewhere. The weights are cast; scores leave the model as float32.
"""

from __future__ import annotations

import functools
import os
import platform
from typing import Any

import torch

from ..errors import UsageError

__all__ = [
    "CPU_BF16_ENV",
    "accelerator_available",
    "bf16_supported",
    "cpu_bf16_supported",
    "default_training_bf16",
    "resolve_dtype",
]

CPU_BF16_ENV = "ZHBERT_CPU_BF16"
_CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
_DTYPES = {
    "bf16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
    "fp32": torch.float32,
    "float32": torch.float32,
    "float": torch.float32,
}


@functools.cache
def _cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux reports them; empty elsewhere."""
    if platform.system() != "Linux":
        return frozenset()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def cpu_bf16_supported() -> bool:
    """Whether this CPU multiplies bf16 natively (``avx512_bf16`` or ``amx_bf16``).

    ``ZHBERT_CPU_BF16=0`` or ``=1`` in the environment overrides the check.

    Raises:
        UsageError: ``ZHBERT_CPU_BF16`` holds something other than 0 or 1.
    """
    forced = os.environ.get(CPU_BF16_ENV, "").strip()
    if forced:
        if forced not in ("0", "1"):
            raise UsageError(f"{CPU_BF16_ENV} must be 0 or 1, got {forced!r}")
        return forced == "1"
    return any(flag in _cpu_flags() for flag in _CPU_BF16_FLAGS)


def bf16_supported(device: str | torch.device) -> bool:
    """Whether ``device`` computes in bf16 at full speed: a CPU with bf16 instructions, or a GPU that supports it."""
    device = torch.device(device)
    if device.type == "cpu":
        return cpu_bf16_supported()
    if device.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    return False


def resolve_dtype(dtype: Any, device: str | torch.device) -> torch.dtype:
    """The float type to run a model in: ``dtype`` as given (``torch.bfloat16``, ``"bf16"``, ``"float32"``...),
    or for ``None`` / ``"auto"`` bf16 where ``device`` supports it and float32 elsewhere.

    Raises:
        UsageError: ``dtype`` is not bf16 or float32 (the message names the argument).
    """
    if dtype is None or dtype == "auto":
        return torch.bfloat16 if bf16_supported(device) else torch.float32
    if isinstance(dtype, torch.dtype):
        if dtype in (torch.bfloat16, torch.float32):
            return dtype
    elif isinstance(dtype, str) and dtype.lower().removeprefix("torch.") in _DTYPES:
        return _DTYPES[dtype.lower().removeprefix("torch.")]
    raise UsageError(f"dtype must be 'auto', 'bf16' or 'float32' (or the torch dtype), got {dtype!r}", argument="dtype")


def default_training_bf16(use_cpu: bool) -> bool:
    """``--bf16`` when the user leaves it unset: on for training on a CPU with bf16 instructions, off elsewhere
    (a GPU keeps transformers' own default)."""
    return (use_cpu or not accelerator_available()) and cpu_bf16_supported()


def accelerator_available() -> bool:
    """Whether torch sees a CUDA or MPS device, where transformers' Trainer would train by default."""
    return torch.cuda.is_available() or _mps_available()


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())
