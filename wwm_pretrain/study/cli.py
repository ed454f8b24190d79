"""The command line of the study (``benchmarks/wwm_study.py`` runs it; the flags are documented there)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import DEFAULT_BASE, DOMAINS, FULL, QUICK, REPO, SCHEMES, SHARED_DATA
from .run import run_study

__all__ = ["DESCRIPTION", "main"]

DESCRIPTION = (
    "Does whole-word masking pay? Continued pretraining of one base model on a domain corpus once per masking "
    "scheme, with the same token budget and seed, then fine-tuning each result on the domain's tasks with several "
    "seeds, and a report with the figures, as they come out."
)


def main(argv: Sequence[str] | None = None) -> int:
    from zhbert.cli import ArgumentParser, option_strings, run_cli

    parser = ArgumentParser(prog="benchmarks/wwm_study.py", description=DESCRIPTION)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="the quick budgets (QUICK): about 8 min on 2 cores")
    size.add_argument("--full", action="store_true", help="the full budgets (FULL; the default)")
    parser.add_argument("--base", default=str(DEFAULT_BASE), help="the masked-LM to start from")
    parser.add_argument("--seeds", default="0,1,2", help="fine-tuning seeds, comma-separated")
    parser.add_argument("--schemes", default=",".join(SCHEMES), help="masking schemes, comma-separated")
    parser.add_argument("--domains", default=",".join(DOMAINS), help="domains, comma-separated")
    parser.add_argument("--shared", default=str(SHARED_DATA), help="the shared data folder")
    parser.add_argument("--out", default=None, help="caches and runs (default runs/wwm-study-PRESET)")
    parser.add_argument(
        "--stages", default=None, help="where the stages' results are kept (default OUT/stages); see run_study"
    )
    parser.add_argument(
        "--report",
        default=None,
        help="the report, plots beside it (default docs/wwm_study.md, --quick: docs/wwm_study_quick.md)",
    )
    parser.add_argument(
        "--report_only", action="store_true", help="run no stage: write the report from the stages done so far"
    )

    def body() -> int:
        from zhbert.errors import UsageError

        args = parser.parse_args(argv)
        cfg = QUICK if args.quick else FULL
        try:
            seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        except ValueError:
            raise UsageError(f"--seeds {args.seeds!r}: give integers separated by commas", argument="seeds") from None
        out = Path(args.out or REPO / "runs" / f"wwm-study-{cfg.name}")
        report = args.report or REPO / "docs" / ("wwm_study_quick.md" if args.quick else "wwm_study.md")
        shown = "python benchmarks/wwm_study.py " + shlex.join(list(sys.argv[1:] if argv is None else argv))
        result = run_study(
            cfg, out, shared=Path(args.shared), base=Path(args.base), seeds=seeds,
            schemes=[s.strip() for s in args.schemes.split(",") if s.strip()],
            domains=[d.strip() for d in args.domains.split(",") if d.strip()], report=Path(report),
            command=shown, cached_only=args.report_only, stage_dir=Path(args.stages) if args.stages else None,
        )  # fmt: skip
        if result.report is not None:
            print(f"wwm_study: report written: {result.report} ({result.seconds:.0f} s)", flush=True)
        return 0

    return run_cli("wwm_study", body, option_strings(parser))
