"""Does whole-word masking pay? Continued pretraining of one base model on a domain corpus once per masking
scheme, with the same token budget and seed, then fine-tuning each result on the domain's tasks with several
seeds, and a report with the figures, as they come out.

Schemes: ``none`` (the base itself), ``char`` (token-level masking), ``jieba`` (jieba whole words),
``jieba_dict`` (jieba with a domain dictionary), ``ltp`` (LTP whole words, a legacy perceptron trained here on the
SIGHAN 2005 gold segmentations), ``ngram`` (MacBERT-style runs of 1-4 jieba words). Domains: legal (the branch of
law of a paragraph, split by law) and reviews (ChnSentiCorp and waimai_10k sentiment).

    python benchmarks/wwm_study.py --quick          # about 8 minutes on 2 CPU cores; docs/wwm_study_quick.md
    python benchmarks/wwm_study.py                  # the full study (FULL below)
    python benchmarks/wwm_study.py --base DIR --seeds 0,1,2,3,4 --out runs/wwm-study-bert   # e.g. on a GPU
    torchrun --nproc_per_node 4 benchmarks/wwm_study.py --base DIR    # DDP; only rank 0 writes files

Every stage (data, LTP model, baselines, each pretraining run, each fine-tune) keeps its result in
``OUT/stages/*.json`` (or ``--stages DIR``), written once the stage is complete: an interrupted study continues
where it stopped, and deleting one file reruns that stage alone (a pretraining run, with its fine-tunes). Each
scheme's fine-tunes follow its pretraining run, so a study whose results are kept apart from ``OUT`` (``--stages``,
e.g. under version control) and continued in a new ``OUT`` rebuilds at most the one model whose fine-tunes are
still due. The report is rewritten from those files at the end of every run.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wwm_study_data as sd
from _common import REPO, SHARED_DATA
from wwm_study_report import machine_summary

SCHEMES = ("none", "char", "jieba", "jieba_dict", "ltp", "ngram")
DOMAINS = ("legal", "reviews")
TASKS: Mapping[str, tuple[str, ...]] = {"legal": ("legal_branch",), "reviews": ("chnsenticorp", "waimai")}
USER_DICTS = {
    "legal": REPO / "zhbert_demo" / "data" / "legal_terms.txt",
    "reviews": REPO / "benchmarks" / "data" / "review_terms.txt",
}
DEFAULT_BASE = REPO / "zhbert_demo" / "models" / "mlm"
PRETRAIN_SEED = 0  # every scheme: the same seed, so the same blocks in the same order
DATA_SEED = 0  # subsamples of the corpora and tasks


@dataclass(frozen=True)
class StudyConfig:
    """The budgets of one study. The token budget of every pretraining run is ``pretrain_steps`` x
    ``batch_size`` x ``max_seq_length`` (less padding); ``*_examples`` 0 means all."""

    name: str
    pretrain_steps: int
    batch_size: int
    max_seq_length: int
    learning_rate: float
    warmup_steps: int
    eval_steps: int
    max_eval_samples: int
    corpus_chars: int
    cloze_chars: int
    train_examples: int
    dev_examples: int
    test_examples: int
    finetune_epochs: float
    finetune_max_seq_length: int
    finetune_learning_rate: float
    finetune_batch_size: int
    ltp_epochs: int
    max_ngram: int = 4


QUICK = StudyConfig("quick", pretrain_steps=200, batch_size=16, max_seq_length=64, learning_rate=3e-4,
                    warmup_steps=20, eval_steps=50, max_eval_samples=64, corpus_chars=400_000, cloze_chars=40_000,
                    train_examples=800, dev_examples=200, test_examples=500, finetune_epochs=1,
                    finetune_max_seq_length=96, finetune_learning_rate=3e-4, finetune_batch_size=32,
                    ltp_epochs=2)  # fmt: skip
FULL = StudyConfig("full", pretrain_steps=2000, batch_size=64, max_seq_length=128, learning_rate=3e-4,
                   warmup_steps=150, eval_steps=300, max_eval_samples=512, corpus_chars=0, cloze_chars=300_000,
                   train_examples=8000, dev_examples=1000, test_examples=0, finetune_epochs=2,
                   finetune_max_seq_length=128, finetune_learning_rate=2e-4, finetune_batch_size=32,
                   ltp_epochs=5)  # fmt: skip
SMOKE = StudyConfig("smoke", pretrain_steps=4, batch_size=4, max_seq_length=32, learning_rate=1e-3,
                    warmup_steps=0, eval_steps=2, max_eval_samples=2, corpus_chars=4_000, cloze_chars=1_000,
                    train_examples=24, dev_examples=12, test_examples=12, finetune_epochs=1,
                    finetune_max_seq_length=32, finetune_learning_rate=1e-3, finetune_batch_size=8,
                    ltp_epochs=1)  # fmt: skip
PRESETS = {"quick": QUICK, "full": FULL, "smoke": SMOKE}


@dataclass(frozen=True)
class StudyResult:
    """Every stage's result by name, the stages this call ran (the others came from ``OUT/stages``), the report."""

    results: dict[str, dict[str, Any]]
    ran: tuple[str, ...]
    report: Path | None
    seconds: float


def _is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _write_json(path: Path, value: Any) -> None:
    from zhbert.text.files import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        handle.write(json.dumps(value, indent=1, ensure_ascii=False) + "\n")


@dataclass
class _Stages:
    dir: Path
    total: int
    cached_only: bool = False
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def path(self, name: str) -> Path:
        return self.dir / (name.replace("/", "__") + ".json")

    def done(self, name: str) -> bool:
        return self.path(name).is_file()

    def run(self, name: str, fn: Callable[[], dict[str, Any]], *, force: bool = False) -> dict[str, Any]:
        """The stage's recorded result, or (when there is none, or with ``force``) the result of running it."""
        number = f"[{len(self.results) + len(self.missing) + 1}/{self.total}]"
        path = self.path(name)
        if self.cached_only and not path.is_file():
            self.missing.append(name)
            return {}
        if path.is_file() and not (force and not self.cached_only):
            result = json.loads(path.read_text(encoding="utf-8"))
            print(f"wwm_study: {number} {name}: cached ({result['seconds']:.0f} s when it ran)", flush=True)
        else:
            print(f"wwm_study: {number} {name} ...", flush=True)
            start = time.perf_counter()
            result = fn()
            result["seconds"] = time.perf_counter() - start
            result["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            result["machine"] = machine_summary()
            if _is_main():
                _write_json(path, result)
            self.ran.append(name)
            print(f"wwm_study: {number} {name}: done in {result['seconds']:.0f} s", flush=True)
        self.results[name] = result
        return result

    def rebuild(self, name: str, fn: Callable[[], dict[str, Any]], *, same: bool) -> None:
        """Rebuild the files of a recorded stage (e.g. in a new ``--out`` beside recorded ``--stages``); its
        recorded result stays. With ``same``, a rebuild that does not reproduce the record is refused."""
        from zhbert.errors import UsageError

        recorded = json.loads(self.path(name).read_text(encoding="utf-8"))
        print(f"wwm_study: {name}: recorded, its files are missing: rebuilding them ...", flush=True)
        again = json.loads(json.dumps(fn()))  # as it would be recorded: tuples become lists
        own = ("seconds", "finished", "machine")
        changed = sorted(k for k in set(recorded) | set(again) if k not in own and recorded.get(k) != again.get(k))
        if changed and same:
            raise UsageError(
                f"{self.path(name)}: rebuilding stage {name} gave other {', '.join(changed)} than its record: "
                "the shared data or the code changed; give another --stages to start over",
                argument="stages",
            )
        if changed:
            print(f"wwm_study: {name}: rebuilt; differs from its record in {', '.join(changed)} (record kept)")


def _sample(rows: Sequence[Any], n: int, seed: int = DATA_SEED) -> list[Any]:
    """``n`` of the rows at random, in their original order (all when n is 0 or too large)."""
    if not n or n >= len(rows):
        return list(rows)
    keep = sorted(random.Random(seed).sample(range(len(rows)), n))
    return [rows[i] for i in keep]


def _capped(documents: Sequence[Sequence[str]], chars: int) -> list[list[str]]:
    """Documents in order until ``chars`` characters (the last one cut at a paragraph); all when 0."""
    kept: list[list[str]] = []
    total = 0
    for doc in documents:
        part = []
        for p in doc:
            if chars and total >= chars:
                break
            part.append(p)
            total += len(p)
        if part:
            kept.append(part)
        if chars and total >= chars:
            break
    return kept


def _task_files(data: Path, task: str) -> dict[str, Path]:
    return {part: data / f"{task}_{part}.csv" for part in ("train", "dev", "test")}


def _write_task(data: Path, task: str, parts: dict[str, list[tuple[str, str]]], cfg: StudyConfig) -> dict[str, Any]:
    sizes = {"train": cfg.train_examples, "dev": cfg.dev_examples, "test": cfg.test_examples}
    counts: dict[str, Any] = {}
    for part, rows in parts.items():
        used = _sample(rows, sizes[part])
        sd.write_examples(_task_files(data, task)[part], used)
        counts[part] = {
            "all": dict(Counter(label for label, _ in rows)),
            "used": dict(Counter(label for label, _ in used)),
        }
    return counts


def build_legal(shared: Path, data: Path, cfg: StudyConfig) -> dict[str, Any]:
    """The legal task (branch of law of a paragraph, split by law), its leakage check, and the corpora."""
    docs = sd.read_law_documents(shared / "law_corpus_zh")
    base_held = sd.base_heldout_laws(docs)
    split = sd.split_laws(docs, seed=DATA_SEED, heldout_first=base_held)
    leak = sd.leakage(docs, split.splits)
    kept = set(split.kept_branches)
    train_paragraphs = {
        sd.squash(p) for d, s in zip(docs, split.splits, strict=True) if s == "train" for p in d.paragraphs
    }
    parts: dict[str, list[tuple[str, str]]] = {"train": [], "dev": [], "test": []}
    dropped_equal = 0
    for doc, part in zip(docs, split.splits, strict=True):
        if part not in parts or doc.branch not in kept:
            continue
        for p in doc.paragraphs:
            if part != "train" and sd.squash(p) in train_paragraphs:
                dropped_equal += 1  # boilerplate also in training: a free answer, not a test
                continue
            parts[part].append((doc.branch, p))
    counts = _write_task(data, "legal_branch", parts, cfg)
    order = list(range(len(docs)))
    random.Random(DATA_SEED).shuffle(order)
    corpus = [list(docs[i].paragraphs) for i in order if split.splits[i] in ("train", "dropped")]
    cloze = [list(docs[i].paragraphs) for i in order if split.splits[i] == "dev"]
    test_docs = [d for d, s in zip(docs, split.splits, strict=True) if s == "test"]
    return {
        "documents": len(docs),
        "laws": len({d.law for d in docs}),
        "split_counts": {s: n for s, n in sorted(Counter(split.splits).items())},
        "groups": len(set(split.groups)),
        "joined_by_overlap": split.joined_by_overlap,
        "kept_branches": list(split.kept_branches),
        "dropped_branches": split.dropped_branches,
        "merged_branches": sd.MERGED_BRANCHES,
        "class_counts": counts,
        "heldout_paragraphs_dropped_as_equal_to_train": dropped_equal,
        "leakage": leak,
        "test_documents_of_base_heldout_laws": sum(d.law in base_held for d in test_docs),
        "test_documents": len(test_docs),
        "corpus_chars": sd.write_documents(data / "corpus.txt", _capped(corpus, cfg.corpus_chars)),
        "cloze_chars": sd.write_documents(data / "cloze.txt", _capped(cloze, cfg.cloze_chars)),
    }


def build_reviews(shared: Path, data: Path, cfg: StudyConfig) -> dict[str, Any]:
    """ChnSentiCorp and waimai_10k (80/10/10, seed 42), and online_shopping_10_cats as the corpus: its training
    part (the base's too) less any review equal to a dev or test review of the two tasks; its dev part, which
    the base never saw, for the cloze test."""
    chn = sd.review_split(shared / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv")
    wai = sd.review_split(shared / "waimai_10k" / "waimai_10k.csv")
    shop = sd.review_split(shared / "online_shopping_10_cats" / "online_shopping_10_cats.csv")
    held = {sd.squash(t) for split in (chn, wai) for part in split[1:] for _, t in part}
    corpus = [t for _, t in shop[0] if sd.squash(t) not in held]
    seen = {sd.squash(t) for t in corpus}
    cloze = [t for _, t in shop[1] if sd.squash(t) not in held and sd.squash(t) not in seen]

    def documents(texts: list[str]) -> list[list[str]]:
        return [texts[i : i + 20] for i in range(0, len(texts), 20)]  # short reviews, 20 to a document

    counts = {
        task: _write_task(data, task, dict(zip(("train", "dev", "test"), split, strict=True)), cfg)
        for task, split in (("chnsenticorp", chn), ("waimai", wai))
    }
    return {
        "class_counts": counts,
        "corpus_reviews": len(corpus),
        "corpus_dropped_equal_to_task_heldout": len(shop[0]) - len(corpus),
        "cloze_reviews": len(cloze),
        "corpus_chars": sd.write_documents(data / "corpus.txt", _capped(documents(corpus), cfg.corpus_chars)),
        "cloze_chars": sd.write_documents(data / "cloze.txt", _capped(documents(cloze), cfg.cloze_chars)),
    }


def train_ltp(shared: Path, model_dir: Path, epochs: int) -> dict[str, Any]:
    """An LTP legacy perceptron segmenter trained on the SIGHAN 2005 PKU and MSR gold segmentations (the
    folder holds the test gold only; the training corpora are not in it), 200 lines held out."""
    from ltp_extension.perceptron import CWSTrainer

    lines = []
    for name in ("pku_test_gold.utf8", "msr_test_gold.utf8"):
        text = (shared / "icwb2_sighan2005" / name).read_text(encoding="utf-8")
        lines += [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    random.Random(0).shuffle(lines)
    work = model_dir.with_name(model_dir.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "train.txt").write_text("\n".join(lines[200:]) + "\n", encoding="utf-8")
    (work / "dev.txt").write_text("\n".join(lines[:200]) + "\n", encoding="utf-8")
    trainer = CWSTrainer()
    trainer.epoch = epochs
    trainer.load_train_data(str(work / "train.txt"))
    trainer.load_eval_data(str(work / "dev.txt"))
    trainer.train().save(str(work / "cws_model.bin"))
    # "nerual" is LTP's own spelling of the key.
    (work / "config.json").write_text(json.dumps({"nerual": False, "tasks": {"cws": "cws_model.bin"}}))
    from zhbert.text import LtpSegmenter

    dev = lines[:200]
    predicted = LtpSegmenter(str(work)).cut(["".join(line.split()) for line in dev])
    gold_words = [_spans(line.split()) for line in dev]
    got = [_spans(words) for words in predicted]
    tp = sum(len(g & p) for g, p in zip(gold_words, got, strict=True))
    precision, recall = tp / max(1, sum(map(len, got))), tp / max(1, sum(map(len, gold_words)))
    shutil.rmtree(model_dir, ignore_errors=True)
    work.rename(model_dir)
    return {
        "train_lines": len(lines) - 200,
        "epochs": epochs,
        "dev_f1": 2 * precision * recall / max(1e-9, precision + recall),
    }


def _spans(words: Sequence[str]) -> set[tuple[int, int]]:
    spans, start = set(), 0
    for w in words:
        spans.add((start, start + len(w)))
        start += len(w)
    return spans


def _read_task(path: Path) -> list[tuple[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["label"], row["text"]) for row in csv.DictReader(handle)]


def _baseline(files: dict[str, Path]) -> dict[str, Any]:
    return asdict(sd.fit_ngram_baseline(*(_read_task(files[p]) for p in ("train", "dev", "test"))))


def _data_complete(data: Path, domain: str) -> bool:
    tasks = [f for t in TASKS[domain] for f in _task_files(data, t).values()]
    return all(f.is_file() for f in [data / "corpus.txt", data / "cloze.txt", *tasks])


def _settings(cfg: StudyConfig, base: Path) -> dict[str, Any]:
    """What a study's records depend on: its budgets and the base model (its path as given, its weights' hash)."""
    from zhbert.text.files import sha256_of_files

    digest = sha256_of_files(sorted(base.glob("*.safetensors")) + sorted(base.glob("*.bin")))
    return {"config": asdict(cfg), "base": _shown(base), "base_weights_sha256": digest}


def _shown(path: Path) -> str:
    """``path`` relative to the repository where it lies inside it (as records and reports show it), else as given."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def _base_cloze(base: Path, cloze: Path) -> dict[str, Any]:
    from zhbert_demo.release import heldout_cloze

    return {"cloze": heldout_cloze(base, cloze)}


def pretrain_scheme(
    base: Path, data: Path, model_dir: Path, scheme: str, domain: str, cfg: StudyConfig, ltp_model: Path, prepared: Path
) -> dict[str, Any]:
    """One continued-pretraining run with ``wwm_pretrain.pretrain``; its curve, and the fixed-mask cloze test."""
    import torch

    from wwm_pretrain.arguments import DataArguments, ModelArguments
    from wwm_pretrain.run import pretrain
    from zhbert.finetune.arguments import PrecisionTrainingArguments
    from zhbert_demo.release import heldout_cloze

    segmenter = {"char": "char", "ltp": "ltp"}.get(scheme, "jieba")
    data_args = DataArguments(
        train_file=str(data / "corpus.txt"),
        validation_file=str(data / "cloze.txt"),
        max_seq_length=cfg.max_seq_length,
        segmenter=segmenter,
        user_dict=str(USER_DICTS[domain]) if scheme == "jieba_dict" else None,
        ltp_model=str(ltp_model) if scheme == "ltp" else None,
        max_ngram=cfg.max_ngram if scheme == "ngram" else 1,
        prepared_cache_dir=str(prepared),
        max_eval_samples=cfg.max_eval_samples,
    )
    model_args = ModelArguments(
        model_name_or_path=str(base), attn_implementation=None if torch.cuda.is_available() else "eager"
    )
    training_args = PrecisionTrainingArguments(
        output_dir=str(model_dir), max_steps=cfg.pretrain_steps, per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=64, learning_rate=cfg.learning_rate, warmup_steps=cfg.warmup_steps,
        weight_decay=0.01, adam_beta2=0.98, eval_strategy="steps", eval_steps=cfg.eval_steps, save_strategy="steps",
        save_steps=cfg.eval_steps, save_total_limit=1, logging_steps=max(1, cfg.eval_steps // 2), seed=PRETRAIN_SEED,
        report_to="none", resume_from_checkpoint="latest", disable_tqdm=True,
    )  # fmt: skip
    metrics = pretrain(model_args, data_args, training_args)
    if not _is_main():  # only the first process writes the log history, the cloze test is its alone too
        return {"metrics": metrics, "curve": [], "bf16": bool(training_args.bf16)}
    state = json.loads((model_dir / "trainer_state.json").read_text(encoding="utf-8"))
    curve = [
        {k: entry[k] for k in ("step", "num_input_tokens_seen", "loss", "eval_loss", "eval_masked_accuracy",
                               "eval_cloze_accuracy", "eval_cloze_loss") if k in entry}
        for entry in state["log_history"]
    ]  # fmt: skip
    result: dict[str, Any] = {"metrics": metrics, "curve": curve, "bf16": bool(training_args.bf16)}
    result["cloze"] = heldout_cloze(model_dir, data / "cloze.txt")
    for checkpoint in model_dir.glob("checkpoint-*"):
        shutil.rmtree(checkpoint, ignore_errors=True)
    return result


def finetune_scheme(model: Path, data: Path, task: str, out_dir: Path, seed: int, cfg: StudyConfig) -> dict[str, Any]:
    """One fine-tune of ``model`` on ``task`` with ``seed``; the scores kept, the model removed."""
    from zhbert.finetune import FinetuneArguments, TaskArguments, finetune

    files = _task_files(data, task)
    if _is_main():
        shutil.rmtree(out_dir, ignore_errors=True)  # what an interrupted run left
    args = TaskArguments(
        model_name_or_path=str(model), train_file=str(files["train"]), validation_file=str(files["dev"]),
        test_file=str(files["test"]), text_column="text", max_seq_length=cfg.finetune_max_seq_length,
        early_stopping_patience=2,
    )  # fmt: skip
    training_args = FinetuneArguments(
        output_dir=str(out_dir), seed=seed, num_train_epochs=cfg.finetune_epochs,
        per_device_train_batch_size=cfg.finetune_batch_size, per_device_eval_batch_size=64,
        learning_rate=cfg.finetune_learning_rate, warmup_steps=0.06, weight_decay=0.01, report_to="none",
        disable_tqdm=True, logging_steps=50, save_total_limit=1, train_sampling_strategy="group_by_length",
    )  # fmt: skip
    metrics = finetune("classify", args, training_args, command=f"benchmarks/wwm_study.py ({task}, seed {seed})")
    if _is_main():
        shutil.rmtree(out_dir, ignore_errors=True)
    keys = ("eval_accuracy", "eval_macro_f1", "test_accuracy", "test_macro_f1", "train_runtime")
    return {k: float(metrics[k]) for k in keys if k in metrics}


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
    from zhbert.finetune.arguments import PrecisionTrainingArguments

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
    settings = _settings(cfg, base)
    recorded = stage_dir / "study.json"
    if recorded.is_file() and json.loads(recorded.read_text(encoding="utf-8")) != settings:
        raise UsageError(
            f"{stage_dir} holds a study with other settings ({recorded}): choose another --out (or --stages), or "
            "delete it to start over",
            argument="stages" if stage_dir != out / "stages" else "out",
        )
    if _is_main() and not recorded.is_file() and not cached_only:
        _write_json(recorded, settings)
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
    stages = _Stages(stage_dir, total, cached_only)
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
            missing = needs_data[d] and not cached_only and not _data_complete(data_of[d], d)
            if missing and stages.done(f"data/{d}") and _is_main():
                stages.rebuild(f"data/{d}", build, same=True)
            stages.run(f"data/{d}", build)
        if "ltp" in schemes:
            ltp = partial(train_ltp, shared, out / "ltp", cfg.ltp_epochs)
            due = any(retrain.get((d, "ltp"), False) for d in domains) and not (out / "ltp" / "config.json").is_file()
            if due and stages.done("ltp") and _is_main():
                stages.rebuild("ltp", ltp, same=False)
            stages.run("ltp", ltp)
        for d in domains:
            for t in TASKS[d]:
                stages.run(f"baseline/{t}", partial(_baseline, _task_files(data_of[d], t)))
    for d in domains:
        for s in schemes:
            if s == "none":
                stages.run(f"pretrain/{d}/none", partial(_base_cloze, base, data_of[d] / "cloze.txt"))
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
    if report is not None and _is_main():
        from wwm_study_report import write_report

        written = write_report(
            report, stages.results, cfg=asdict(cfg), schemes=list(schemes), domains=list(domains), seeds=list(seeds),
            tasks=TASKS, base=_shown(base), command=command, seconds=seconds, ran=list(stages.ran),
            missing=list(stages.missing),
        )  # fmt: skip
    return StudyResult(dict(stages.results), tuple(stages.ran), written, seconds)


def main(argv: Sequence[str] | None = None) -> int:
    from zhbert.cli import ArgumentParser, option_strings, run_cli

    parser = ArgumentParser(prog="benchmarks/wwm_study.py", description=__doc__.split("\n\n")[0])
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


if __name__ == "__main__":
    sys.exit(main())
