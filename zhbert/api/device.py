"""Where a predictor runs and in which float type: the device a user names (or the best one present), checked,
and the model moved there, cast and put in eval mode."""

from __future__ import annotations

from typing import Any

import torch

from ..errors import ArgumentTypeError, UsageError
from ..models.precision import resolve_dtype

__all__ = ["place_model", "resolve_device"]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``device`` as a ``torch.device``; ``None`` picks CUDA when available, else the CPU.

    Raises:
        TypeError: ``device`` is neither a string nor a ``torch.device``.
        ValueError: it names no device, a kind zhbert does not run on, or one this machine lacks.
    """
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise ArgumentTypeError(f"device must be a string such as 'cpu' or 'cuda:0', got {type(device).__name__}")
    try:
        where = torch.device(device)
    except (RuntimeError, ValueError):
        raise UsageError(
            f"device {device!r} is not a device name: use 'cpu', 'cuda' or 'cuda:N'", argument="device"
        ) from None
    if where.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"device {device!r}: no CUDA GPU is available here; use 'cpu'", argument="device")
        if where.index is not None and where.index >= torch.cuda.device_count():
            raise UsageError(
                f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)", argument="device"
            )
    elif where.type == "mps":
        if not torch.backends.mps.is_available():
            raise UsageError(f"device {device!r}: no Apple GPU (MPS) is available here; use 'cpu'", argument="device")
    elif where.type != "cpu":
        raise UsageError(f"device {device!r}: zhbert runs on 'cpu', 'cuda' or 'mps'", argument="device")
    return where


def place_model(model: Any, device: str | torch.device | None, dtype: Any) -> tuple[Any, torch.device, torch.dtype]:
    """``model`` moved to ``device`` and cast to ``dtype`` (in place, as ``Module.to`` does), in eval mode.

    ``dtype=None`` picks bf16 where the device computes it natively and float32 elsewhere
    (``zhbert.models.precision.resolve_dtype``).
    """
    where = resolve_device(device)
    kind = resolve_dtype(dtype, where)
    return model.to(device=where, dtype=kind).eval(), where, kind
