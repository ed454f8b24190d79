"""The study's stages in order, each resumable: the data, the LTP model, the baselines, then per domain and
scheme a continued-pretraining run followed by its fine-tunes; the report is written from their records.
``run_study`` is the whole study; ``wwm_pretrain.study.cli`` its command line."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..cloze import heldout_cloze
from ..stages import Stages, is_main, write_json
from .baseline import baseline_stage
from .config import DEFAULT_BASE, DOMAINS, SCHEMES, SHARED_DATA, TASKS, StudyConfig, settings, shown
from .data import build_legal, build_reviews, data_complete, task_files
from .ltp import train_ltp
from .runs import finetune_scheme, pretrain_scheme

__all__ = ["StudyResult", "base_cloze", "run_study"]


@dataclass(frozen=True)
class StudyResult:
    """Every stage's result by name, the stages this call ran (the others came from ``OUT/stages``), the report."""

    results: dict[str, dict[str, Any]]
    ran: tuple[str, ...]
    report: Path | None
    seconds: float


def base_cloze(base: Path, cloze: Path) -> dict[str, Any]:
    """The ``none`` scheme's pretraining stage: the base itself, its fixed-mask cloze test."""
    return {"cloze": heldout_cloze(base, cloze)}


def run_study(
    cfg: StudyConfig,
    out: Path,
    *,
    shared: Path = SHARED_DATA,
    base: Path = DEFAULT_BASE,
    seeds: Sequence[int] = (0, 1, 2),
    schemes: Sequence[str] = SCHEMES,
    domains: Sequence[str] = DOMAINS,
    report: Path | None = None,
    command: str = "",
    cached_only: bool = False,
    stage_dir: Path | None = None,
) -> StudyResult:
    """Run (or resume) every stage of the study into ``out`` and write the report (when ``report`` is given).
    With ``cached_only``, run nothing: the report shows the stages done so far. The stages' results are kept in
    ``stage_dir`` (default ``out/stages``); one kept apart from ``out`` (e.g. under version control) lets a later
    run in a new ``out`` continue: what a due stage needs and ``out`` lacks (the data, the LTP model, a
    pretrained model) is rebuilt first.

    Returns:
        The stages' results, which of them ran in this call, and the report's path.
    """
    from zhbert.errors import UsageError
    from zhbert.models import PrecisionTrainingArguments

    started = time.perf_counter()
    for name in schemes:
        if name not in SCHEMES:
            raise UsageError(f"unknown scheme {name!r}: choose from {', '.join(SCHEMES)}", argument="schemes")
    for name in domains:
        if name not in DOMAINS:
            raise UsageError(f"unknown domain {name!r}: choose from {', '.join(DOMAINS)}", argument="domains")
    if not seeds:
        raise UsageError("give at least one seed", argument="seeds")
    if not (base / "config.json").is_file():
        raise UsageError(f"{base}: not a model directory (no config.json)", argument="base")
    stage_dir = stage_dir or out / "stages"
    out.mkdir(parents=True, exist_ok=True)
    recorded_settings = settings(cfg, base)
    recorded = stage_dir / "study.json"
    if recorded.is_file() and json.loads(recorded.read_text(encoding="utf-8")) != recorded_settings:
        raise UsageError(
            f"{stage_dir} holds a study with other settings ({recorded}): choose another --out (or --stages), or "
            "delete it to start over",
            argument="stages" if stage_dir != out / "stages" else "out",
        )
    if is_main() and not recorded.is_file() and not cached_only:
        write_json(recorded, recorded_settings)
    # Stages that are not collective run on the first process while the others wait, then read its files.
    control = PrecisionTrainingArguments(output_dir=str(out / "control"), report_to="none")
    tasks = [t for d in domains for t in TASKS[d]]
    total = (
        len(domains)
        + ("ltp" in schemes)
        + len(tasks)
        + len(domains) * len(schemes)
        + len(tasks) * len(schemes) * len(seeds)
    )
    stages = Stages(stage_dir, total, cached_only, log="wwm_study")
    data_of = {d: out / "data" / d for d in domains}
    models = {(d, s): base if s == "none" else out / "pretrain" / d / s for d in domains for s in schemes}

    def finetunes(d: str, s: str) -> list[tuple[str, str, int]]:
        return [(f"finetune/{t}/{s}/seed{seed}", t, seed) for t in TASKS[d] for seed in seeds]

    # A pretraining run reruns when it has no record, or when a fine-tune of it is due and its model is gone
    # (the records were kept, the run folder was not). A rerun makes a new model: its fine-tunes rerun too.
    retrain = {
        (d, s): not stages.done(f"pretrain/{d}/{s}")
        or (any(not stages.done(n) for n, _, _ in finetunes(d, s)) and not (models[d, s] / "config.json").is_file())
        for d in domains
        for s in schemes
        if s != "none"
    }
    retrain = {k: v and not cached_only for k, v in retrain.items()}
    needs_data = {
        d: any(not stages.done(f"baseline/{t}") for t in TASKS[d])
        or any(retrain.get((d, s), False) or any(not stages.done(n) for n, _, _ in finetunes(d, s)) for s in schemes)
        for d in domains
    }
    builders = {"legal": build_legal, "reviews": build_reviews}
    with control.main_process_first(local=False, desc="data"):
        for d in domains:
            build = partial(builders[d], shared, data_of[d], cfg)
            missing = needs_data[d] and not cached_only and not data_complete(data_of[d], d)
            if missing and stages.done(f"data/{d}") and is_main():
                stages.rebuild(f"data/{d}", build, same=True)
            stages.run(f"data/{d}", build)
        if "ltp" in schemes:
            ltp = partial(train_ltp, shared, out / "ltp", cfg.ltp_epochs)
            due = any(retrain.get((d, "ltp"), False) for d in domains) and not (out / "ltp" / "config.json").is_file()
            if due and stages.done("ltp") and is_main():
                stages.rebuild("ltp", ltp, same=False)
            stages.run("ltp", ltp)
        for d in domains:
            for t in TASKS[d]:
                stages.run(f"baseline/{t}", partial(baseline_stage, task_files(data_of[d], t)))
    for d in domains:
        for s in schemes:
            if s == "none":
                stages.run(f"pretrain/{d}/none", partial(base_cloze, base, data_of[d] / "cloze.txt"))
            else:
                stages.run(
                    f"pretrain/{d}/{s}",
                    partial(pretrain_scheme, base, data_of[d], models[d, s], s, d, cfg, out / "ltp", out / "prepared"),
                    force=retrain[d, s],
                )
            for name, t, seed in finetunes(d, s):
                run_dir = out / "finetune" / t / s / f"seed{seed}"
                fn = partial(finetune_scheme, models[d, s], data_of[d], t, run_dir, seed, cfg)
                stages.run(name, fn, force=retrain.get((d, s), False))
    seconds = time.perf_counter() - started
    written = None
    if report is not None and is_main():
        from .report import write_report

        written = write_report(
            report, stages.results, cfg=asdict(cfg), schemes=list(schemes), domains=list(domains), seeds=list(seeds),
            tasks=TASKS, base=shown(base), command=command, seconds=seconds, ran=list(stages.ran),
            missing=list(stages.missing),
        )  # fmt: skip
    return StudyResult(dict(stages.results), tuple(stages.ran), written, seconds)
