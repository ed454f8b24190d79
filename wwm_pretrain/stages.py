"""Long builds as resumable stages: each stage's result is a JSON record, written once the stage is complete, and
a stage with a record is not run again. An interrupted build continues where it stopped; deleting one record
reruns that stage alone. The whole-word-masking study and the demo's model build both run on it.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Stages", "is_main", "machine_summary", "write_json"]

# Written into every record beside the stage's own result.
OWN_KEYS = ("seconds", "finished", "machine")


def is_main() -> bool:
    """Whether this is the first process (or the only one) of a distributed run: only it writes files."""
    return int(os.environ.get("RANK", "0")) == 0


def write_json(path: Path, value: Any) -> None:
    """``value`` as indented JSON (non-ASCII kept), written atomically; the folder is made when missing."""
    from zhbert.text.files import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        handle.write(json.dumps(value, indent=1, ensure_ascii=False) + "\n")


def machine_summary() -> str:
    """This machine in one line: processor, cores, bf16, GPU, library versions, processes."""
    import torch
    import transformers

    from zhbert.models import cpu_bf16_supported

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    parts = [f"{model}, {os.cpu_count()} cores", f"bf16 native on the CPU: {'yes' if cpu_bf16_supported() else 'no'}"]
    if torch.cuda.is_available():
        parts.append(f"GPU: {torch.cuda.get_device_name(0)} x {torch.cuda.device_count()}")
    parts.append(
        f"torch {torch.__version__}, transformers {transformers.__version__}, python {platform.python_version()}"
    )
    parts.append(f"processes: {os.environ.get('WORLD_SIZE', '1')}")
    return "; ".join(parts)


@dataclass
class Stages:
    """The stages of one build, their records kept in ``dir`` (one ``NAME.json`` each, ``/`` in a name as ``__``).

    Attributes:
        dir: where the records are kept.
        total: how many stages the build has (for the ``[3/12]`` in the log lines); 0 leaves the count out.
        cached_only: run nothing: a stage without a record is listed in ``missing`` and gives ``{}``.
        log: the prefix of the log lines.
        results: every stage's result so far, by name.
        ran: the stages this call ran (the others came from their records).
        missing: with ``cached_only``, the stages that have no record.
    """

    dir: Path
    total: int = 0
    cached_only: bool = False
    log: str = "stages"
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def path(self, name: str) -> Path:
        """The record of stage ``name``."""
        return self.dir / (name.replace("/", "__") + ".json")

    def done(self, name: str) -> bool:
        """Whether stage ``name`` has a record."""
        return self.path(name).is_file()

    def record(self, name: str, result: dict[str, Any]) -> None:
        """Keep ``result`` as the record of stage ``name`` without running it (e.g. a stage whose output was
        taken from elsewhere)."""
        if is_main():
            write_json(self.path(name), result)
        self.results[name] = result

    def run(self, name: str, fn: Callable[[], dict[str, Any]], *, force: bool = False) -> dict[str, Any]:
        """The stage's recorded result, or (when there is none, or with ``force``) the result of running it,
        recorded with its ``seconds``, when it ``finished`` and on which ``machine``."""
        number = f"[{len(self.results) + len(self.missing) + 1}/{self.total}] " if self.total else ""
        path = self.path(name)
        if self.cached_only and not path.is_file():
            self.missing.append(name)
            return {}
        if path.is_file() and not (force and not self.cached_only):
            result = json.loads(path.read_text(encoding="utf-8"))
            print(f"{self.log}: {number}{name}: cached ({result.get('seconds', 0):.0f} s when it ran)", flush=True)
        else:
            print(f"{self.log}: {number}{name} ...", flush=True)
            start = time.perf_counter()
            result = fn()
            result["seconds"] = time.perf_counter() - start
            result["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            result["machine"] = machine_summary()
            if is_main():
                write_json(path, result)
            self.ran.append(name)
            print(f"{self.log}: {number}{name}: done in {result['seconds']:.0f} s", flush=True)
        self.results[name] = result
        return result

    def rebuild(self, name: str, fn: Callable[[], dict[str, Any]], *, same: bool, argument: str = "stages") -> None:
        """Rebuild the files of a recorded stage (e.g. in a new output folder beside kept records); its record
        stays. With ``same``, a rebuild that does not reproduce the record is refused with a ``UsageError``
        that names ``argument``."""
        from zhbert.errors import UsageError

        recorded = json.loads(self.path(name).read_text(encoding="utf-8"))
        print(f"{self.log}: {name}: recorded, its files are missing: rebuilding them ...", flush=True)
        again = json.loads(json.dumps(fn()))  # as it would be recorded: tuples become lists
        changed = sorted(k for k in set(recorded) | set(again) if k not in OWN_KEYS and recorded.get(k) != again.get(k))
        if changed and same:
            raise UsageError(
                f"{self.path(name)}: rebuilding stage {name} gave other {', '.join(changed)} than its record: "
                f"the shared data or the code changed; give another --{argument} to start over",
                argument=argument,
            )
        if changed:
            print(f"{self.log}: {name}: rebuilt; differs from its record in {', '.join(changed)} (record kept)")
