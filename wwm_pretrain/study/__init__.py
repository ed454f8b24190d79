"""Does whole-word masking pay? The study: continued pretraining of one base model on a domain corpus once per
masking scheme, then fine-tuning each result on the domain's tasks with several seeds, and a report.

Modules, by job: ``config`` (schemes, domains, presets), ``legal`` (the split by law and its leakage check),
``data`` (the tasks, corpora and cloze texts), ``ltp`` (the LTP segmenter), ``baseline`` (the n-gram baseline),
``runs`` (a pretraining run, a fine-tune), ``run`` (the stages in order, resumable), ``figures`` and ``report``
(the report), ``cli`` (the command line of ``benchmarks/wwm_study.py``), ``rerun`` (two reports compared).
"""

from __future__ import annotations

from .config import FULL, PRESETS, QUICK, SMOKE, StudyConfig
from .run import StudyResult, run_study

__all__ = ["FULL", "PRESETS", "QUICK", "SMOKE", "StudyConfig", "StudyResult", "run_study"]
