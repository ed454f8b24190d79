"""``zhbert evaluate --report DIR``'s work, after the command has read its flags: checks first (the folder, the
extra, the cross-validation base), then predictions, optional out-of-fold probabilities, and the files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ...errors import MissingExtraError, UsageError
from .build import SAME_ROWS, check_report_dir, write_report
from .folds import FoldSettings, card_base, out_of_fold
from .predictions import collect

__all__ = ["check_report", "report_extra", "run_report"]


def report_extra() -> None:
    """Raise ``MissingExtraError`` unless cleanlab and matplotlib are installed."""
    try:
        import cleanlab  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as err:
        raise MissingExtraError(f"zhbert evaluate --report needs {err.name}: pip install zhbert[report]") from err


def check_report(
    out: str | os.PathLike[str], model: str, top: int, cv: int | None, cv_base: str | None, overwrite: bool
) -> str | None:
    """Refuse bad report arguments before anything loads; the base of the fold models (``--cv``), or None."""
    report_extra()
    if top < 1:
        raise UsageError(f"--top must be >= 1, got {top}", argument="top")
    check_report_dir(out, overwrite)
    if cv is None:
        if cv_base is not None:
            raise UsageError("--cv_base is the base of --cv's fold models: give --cv K too", argument="cv_base")
        return None
    if cv < 2:
        raise UsageError(f"--cv must be >= 2 folds, got {cv}", argument="cv")
    base = cv_base or card_base(model)
    if base is None:
        raise UsageError(f"--cv fine-tunes fold models from a base, and {model}'s model card names none that is "
                         "here: give --cv_base DIR", argument="cv_base")  # fmt: skip
    return base


def run_report(
    out: str | os.PathLike[str],
    task: Any,
    predictor: Any,
    examples: Sequence[Any],
    *,
    top: int = 20,
    cv: int | None = None,
    fold_settings: FoldSettings | None = None,
    overwrite: bool = False,
    batch_size: int = 32,
    title: str = "Evaluation report",
) -> dict[str, Any]:
    """Predict, optionally cross-validate, and write the report; returns ``scores.json``'s content."""
    found = collect(task, predictor, examples, batch_size)
    probabilities, note = None, SAME_ROWS
    if cv is not None:
        if task.name == "ner" and not predictor.per_word_labels:
            raise UsageError("--cv: a span-head model gives no per-word label distributions, so there is no "
                             "label-error search to cross-validate; leave out --cv", argument="cv")  # fmt: skip
        if fold_settings is None:
            raise UsageError("--cv needs the fold models' settings (a base)", argument="cv_base")
        probabilities = out_of_fold(task, examples, cv, fold_settings, found, predictor)
        note = (f"Out-of-fold probabilities: {cv} models fine-tuned from `{fold_settings.base}`, each on "
                f"{cv - 1} of {cv} folds of this file, each predicting the fold it did not see.")  # fmt: skip
    return write_report(out, task.name, examples, found, top=top, probabilities=probabilities, note=note,
                        overwrite=overwrite, title=title)  # fmt: skip
