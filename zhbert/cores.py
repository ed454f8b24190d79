"""What a long-running process may use: how many cores, how many threads a predictor runs with, and handing
freed heap back to the system (``heap_trimmer``).

A process may be held to fewer cores than the machine has: by its CPU affinity (``taskset``, Slurm, a container's
``--cpuset-cpus``) or by a cgroup CPU quota (Kubernetes ``resources.limits.cpu``, ``docker run --cpus``).
``usable_cores`` reads both; ``choose_threads`` turns a user's request (or nothing) into a thread count with the
reason for it, which the server and ``zhbert predict`` print.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

__all__ = ["ThreadChoice", "apply_threads", "choose_threads", "heap_trimmer", "usable_cores"]

THREADS_ENV = "ZHBERT_THREADS"


def _affinity() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def cgroup_quota(root: str | os.PathLike[str] = "/sys/fs/cgroup") -> float | None:
    """The CPU quota of this process's cgroup in cores (``cpu.max`` in cgroup v2, ``cpu.cfs_quota_us`` in v1);
    ``None`` when there is none or it cannot be read."""
    base = Path(root)
    try:
        quota, period = (base / "cpu.max").read_text().split()[:2]
        if quota != "max" and int(period) > 0:
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((base / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((base / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, lowered to the cgroup quota (rounded up) if one is set."""
    cores = _affinity()
    quota = cgroup_quota()
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, cores)


@dataclass(frozen=True)
class ThreadChoice:
    """A thread count and where it came from, e.g. ``2 threads (the cores this process may use)``."""

    threads: int
    reason: str

    def __str__(self) -> str:
        return f"{self.threads} thread{'s' if self.threads != 1 else ''} ({self.reason})"


def choose_threads(requested: int | None = None) -> ThreadChoice:
    """The threads a predictor runs with: ``requested`` if given, else ``$ZHBERT_THREADS`` if set, else the cores
    this process may use (``usable_cores``).

    Raises:
        UsageError: ``requested`` or ``$ZHBERT_THREADS`` is not a whole number >= 1.
    """
    cores = usable_cores()
    if requested is not None:
        if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
            raise UsageError(f"threads must be a whole number >= 1, got {requested!r}", argument="threads")
        extra = f"; this process may use {cores} core{'s' if cores != 1 else ''}" if requested > cores else ""
        return ThreadChoice(requested, f"as asked{extra}")
    env = os.environ.get(THREADS_ENV, "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise UsageError(f"${THREADS_ENV} must be a whole number >= 1, got {env!r}", argument="threads")
        return ThreadChoice(int(env), f"${THREADS_ENV}")
    return ThreadChoice(cores, "the cores this process may use")


def apply_threads(choice: ThreadChoice) -> None:
    """Run torch's CPU operators on ``choice.threads`` threads (ONNX Runtime sessions take the count at creation)."""
    import torch

    torch.set_num_threads(choice.threads)


def heap_trimmer() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)`` as a call, or ``None`` where there is none (musl, macOS, Windows).

    Model calls of ever new shapes (a server's requests, a long file's chunks) leave the heap fragmented: freed but
    not returned, so RSS creeps up call by call; a long-running loop calls the trimmer now and then to return it.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None
    return (lambda: trim(0)) if trim is not None else None
