"""The demo's model sets: the shipped one, and a small one built on this machine.

The **shipped set** lives in ``zhbert_demo/models`` (``mlm``, ``classifier``, ``tagger`` and ``manifest.json``):
a base pretrained by ``wwm-pretrain`` on the shared corpora and the two models fine-tuned from it, rebuilt by
``python -m zhbert_demo.release`` (see its manifest). ``zhbert demo`` uses it when it is there.

The **built set** is made from data shipped in ``zhbert_demo/data`` when the shipped one is absent, or for
tests with ``--quick``:

    zhbert build-demo-models [--home DIR] [--force] [--quick]

Three steps, each a real zhbert run with progress bars: whole-word-masking pretraining of a small BERT (4 layers,
hidden 256, random weights, the bert-base-chinese vocabulary) on the legal corpus with jieba and the legal user
dictionary, every 10th document held out for its cloze test; then a sentiment classifier and a PER/LOC/ORG
tagger fine-tuned from it, each scored on a 10% dev and a 10% test part of its data. The set is written to a
temporary folder and moved into place only when complete, with a ``manifest.json`` in the shipped set's schema
(``zhbert_demo.manifest``), so an interrupted build leaves nothing half-made and the page shows the same figures
for either set.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhbert.resources import BERT_BASE_CHINESE_DIR
from zhbert.text import zhbert_home

from .manifest import MANIFEST, ModelSetManifest, file_hashes, finetune_figures

__all__ = [
    "DEMO_DATA_DIR",
    "DEMO_TERMS",
    "SHIPPED_MODELS_DIR",
    "DemoModelPaths",
    "build_demo_models",
    "demo_models_dir",
    "main",
]

DEMO_DATA_DIR = Path(__file__).resolve().parent / "data"
SHIPPED_MODELS_DIR = Path(__file__).resolve().parent / "models"
# The 全词掩码 tab's discovered terms: zhbert terms data/law_corpus.txt -o data/discovered_terms.txt --top 300
DEMO_TERMS = DEMO_DATA_DIR / "discovered_terms.txt"

SET_NAME = "demo-models-v1"
DEV_PERCENT = TEST_PERCENT = 10.0  # of each fine-tuning file, for the figures the manifest records
HELDOUT_EVERY = 10  # every 10th document of the legal corpus is held out of pretraining for the cloze test


def demo_models_dir(home: str | Path | None = None) -> Path:
    return Path(home).expanduser() / SET_NAME if home is not None else zhbert_home() / SET_NAME


@dataclass(frozen=True)
class DemoModelPaths:
    classifier: Path
    tagger: Path
    mlm: Path
    user_dict: Path

    @classmethod
    def of(cls, root: Path) -> DemoModelPaths:
        return cls(root / "classifier", root / "tagger", root / "mlm", DEMO_DATA_DIR / "legal_terms.txt")

    @property
    def root(self) -> Path:
        return self.mlm.parent

    @classmethod
    def complete(cls, home: str | Path | None = None) -> DemoModelPaths | None:
        """The built set, or None when it is missing or was never finished."""
        root = demo_models_dir(home)
        return cls.of(root) if (root / MANIFEST).is_file() else None

    @classmethod
    def shipped(cls, root: Path = SHIPPED_MODELS_DIR) -> DemoModelPaths | None:
        """The set shipped in the package, or None when this copy has none."""
        paths = cls.of(root)
        parts = (paths.mlm, paths.classifier, paths.tagger)
        return paths if (root / MANIFEST).is_file() and all((p / "config.json").is_file() for p in parts) else None


@dataclass(frozen=True)
class _Plan:
    """How much to train: the full set, or a seconds-long smoke build (``quick``) with the same steps."""

    layers: int
    hidden: int
    pretrain_steps: int
    cls_epochs: float
    ner_epochs: float
    max_train_samples: int | None

    @classmethod
    def of(cls, quick: bool) -> _Plan:
        if quick:
            return cls(layers=2, hidden=64, pretrain_steps=20, cls_epochs=1, ner_epochs=3, max_train_samples=2000)
        return cls(layers=4, hidden=256, pretrain_steps=300, cls_epochs=2, ner_epochs=2, max_train_samples=None)


def build_demo_models(home: str | Path | None = None, force: bool = False, quick: bool = False) -> DemoModelPaths:
    """Build the default set under ``home`` (default ``$ZHBERT_HOME``) unless it is already complete.

    Args:
        home: the zhbert cache folder; the set goes to ``home/demo-models-v1``.
        force: build again even if a complete set exists.
        quick: tiny models and a few training steps (seconds), for tests of the whole path.
    """
    from wwm_pretrain.arguments import DataArguments, ModelArguments
    from wwm_pretrain.cloze import heldout_cloze
    from wwm_pretrain.run import pretrain
    from zhbert.finetune import FinetuneArguments, TaskArguments, finetune
    from zhbert.models import PrecisionTrainingArguments

    target = demo_models_dir(home)
    if not force and (target / MANIFEST).is_file():
        return DemoModelPaths.of(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.with_name(f"{target.name}.building-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    plan = _Plan.of(quick)
    paths = DemoModelPaths.of(work)
    data = DEMO_DATA_DIR
    times: dict[str, float] = {}
    started = time.perf_counter()
    try:
        print(f"zhbert: building the demo models in {target} (step 1 of 3: whole-word-masking pretraining)", flush=True)
        overrides = (
            f"num_hidden_layers={plan.layers},hidden_size={plan.hidden},"
            f"num_attention_heads={max(1, plan.hidden // 64)},intermediate_size={plan.hidden * 4}"
        )
        corpus = _split_law_corpus(data / "law_corpus.txt", work / "corpus")
        pretrain(
            ModelArguments(
                config_name=str(BERT_BASE_CHINESE_DIR),
                tokenizer_name=str(BERT_BASE_CHINESE_DIR),
                config_overrides=overrides,
            ),
            DataArguments(
                train_file=str(corpus / "train.txt"),
                user_dict=str(paths.user_dict),
                prepared_cache_dir=str(work / "prepared"),
                max_seq_length=128,
            ),
            PrecisionTrainingArguments(
                output_dir=str(paths.mlm),
                per_device_train_batch_size=32,
                max_steps=plan.pretrain_steps,
                learning_rate=1e-3,
                warmup_steps=0.05,
                seed=0,
                report_to="none",
                save_strategy="no",
                logging_steps=50,
            ),
        )
        times["pretrain_s"] = time.perf_counter() - started
        metrics: dict[str, dict[str, Any]] = {"mlm": heldout_cloze(paths.mlm, corpus / "heldout.txt")}
        steps = [
            ("classifier", "sentiment classifier", "classify", "waimai_reviews.csv", plan.cls_epochs, 64, 1e-4),
            ("tagger", "entity tagger (PER/LOC/ORG)", "ner", "msra_ner_sample.jsonl", plan.ner_epochs, 128, 5e-4),
        ]
        flags: dict[str, Any] = {}
        for number, (name, what, task, train_file, epochs, max_length, rate) in enumerate(steps, start=2):
            print(f"zhbert: step {number} of 3: {what}", flush=True)
            tick = time.perf_counter()
            task_args = TaskArguments(
                model_name_or_path=str(paths.mlm),
                train_file=str(data / train_file),
                validation_split_percentage=DEV_PERCENT,
                test_split_percentage=TEST_PERCENT,
                text_column="review" if task == "classify" else None,
                max_seq_length=max_length,
                max_train_samples=plan.max_train_samples,
            )
            training: dict[str, Any] = {
                "num_train_epochs": epochs,
                "per_device_train_batch_size": 32,
                "learning_rate": rate,
                "warmup_steps": 0.05,
                "save_total_limit": 1,
                "seed": 0,
            }
            scores = finetune(
                task,
                task_args,
                FinetuneArguments(output_dir=str(getattr(paths, name)), **training),
                command=f"zhbert build-demo-models (step {number}: {what})",
            )
            metrics[name] = finetune_figures(scores)
            flags[name] = {f"zhbert train {task}": {"train_file": train_file, "max_seq_length": max_length,
                                                     "validation_split_percentage": DEV_PERCENT,
                                                     "test_split_percentage": TEST_PERCENT, **training}}  # fmt: skip
            times[f"{name}_s"] = time.perf_counter() - tick
        for leftover in [work / "prepared", corpus, *work.glob("*/checkpoint-*")]:
            shutil.rmtree(leftover, ignore_errors=True)
        manifest = ModelSetManifest(
            name=f"zhbert demo models ({'quick ' if quick else ''}build on this machine)",
            command="zhbert build-demo-models" + (" --quick" if quick else ""),
            built=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            machine=f"{platform.machine()}, python {platform.python_version()}",
            data={
                "files": sorted(p.name for p in data.iterdir() if p.suffix in (".txt", ".csv", ".jsonl")),
                "cloze_heldout": f"every {HELDOUT_EVERY}th document of law_corpus.txt, held out of pretraining",
            },
            models={"mlm": {"wwm-pretrain": {"max_steps": plan.pretrain_steps, "config_overrides": overrides}}} | flags,
            metrics=metrics,
            files=file_hashes(work),
            extra={
                "set": SET_NAME,
                "quick": quick,
                "seconds": {k: round(v, 1) for k, v in {**times, "total_s": time.perf_counter() - started}.items()},
            },
        )
        manifest.write(work)
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    print(f"zhbert: demo models ready in {target} ({time.perf_counter() - started:.0f} s)", flush=True)
    return DemoModelPaths.of(target)


def _split_law_corpus(source: Path, out: Path) -> Path:
    """``train.txt`` and ``heldout.txt`` in ``out``: every ``HELDOUT_EVERY``-th document of ``source`` held out
    of pretraining, for the cloze test. Returns ``out``."""
    documents = [d for d in source.read_text(encoding="utf-8").strip("\n").split("\n\n") if d.strip()]
    heldout = documents[HELDOUT_EVERY - 1 :: HELDOUT_EVERY]
    train = [d for i, d in enumerate(documents) if (i + 1) % HELDOUT_EVERY]
    out.mkdir(parents=True, exist_ok=True)
    for name, part in (("train.txt", train), ("heldout.txt", heldout)):
        (out / name).write_text("\n\n".join(part) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    from zhbert.cli import ArgumentParser, option_strings, run_cli

    parser = ArgumentParser(prog="zhbert build-demo-models", description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", help="zhbert cache folder (default $ZHBERT_HOME or ~/.cache/zhbert)")
    parser.add_argument("--force", action="store_true", help="build again even if a complete set exists")
    parser.add_argument("--quick", action="store_true", help="tiny models in seconds, to check the whole path")

    def body() -> int:
        args = parser.parse_args(argv)
        paths = build_demo_models(args.home, force=args.force, quick=args.quick)
        print(f"classifier: {paths.classifier}\ntagger:     {paths.tagger}\nmlm:        {paths.mlm}")
        return 0

    return run_cli("zhbert build-demo-models", body, option_strings(parser))


if __name__ == "__main__":
    sys.exit(main())
