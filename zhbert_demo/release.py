"""The demo's shipped model set, rebuilt from the shared data with zhbert's own commands.

    python -m zhbert_demo.release [--shared ../shared/data] [--work runs/release] [--out zhbert_demo/models]

Steps, each skipped when it has a record in ``WORK/stages`` (``wwm_pretrain.stages``: written once the step is
complete, so a rerun after an interruption continues, and ``wwm-pretrain`` resumes from its latest checkpoint;
deleting a record reruns that step):

1. ``corpus``: the base corpus of ``zhbert_demo.base_corpus`` (no dev or test split of any data set, 43 laws
   held out for the cloze test).
2. ``vocab``: bert-base-chinese's vocabulary pruned to the tokens the corpus uses twice or more
   (``python -m wwm_pretrain.vocab``).
3. ``stage1``: a 4-layer, hidden-256 BERT pretrained from random weights with character masking, which leaves
   the frequent-character plateau that whole-word masking from random weights sits on.
4. ``stage2``: the same model continued with jieba whole-word masking.
5. ``tagger``: a PER/LOC/ORG tagger fine-tuned from the base on MSRA NER's training part (the 10/10 split with
   seed 42 of ``zhbert train``; its dev and test parts are the base corpus's held-out ones).
6. ``classifier``: a sentiment classifier fine-tuned from the base on the training parts of ChnSentiCorp,
   waimai_10k and online_shopping_10_cats (same split), less every training review that is also a dev or test
   review of one of the three.
7. The cloze accuracy of the base on the held-out laws, every [MASK] a single character.
8. ``--out``: the three models with bf16 weights, and ``manifest.json`` (data, commands, seeds, file hashes,
   metrics).

``--keep mlm,tagger`` takes those models, with their figures, data and flags, from the set already at ``--out``
as finished steps with their records (the base stands for both pretraining stages), so only the others are
rebuilt; the manifest says which were kept and from which build. Fine-tuning then starts from the packed base,
whose weights are the bf16 rounding of the pretrained ones, and the cloze test (step 7) is measured again on it.
"""

from __future__ import annotations

import csv
import json
import platform
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from wwm_pretrain.cloze import heldout_cloze
from wwm_pretrain.splits import DEV_PERCENT, SPLIT_SEED, TEST_PERCENT, squash
from wwm_pretrain.stages import Stages
from zhbert.text import nonblank_lines

from .manifest import ModelSetManifest, file_hashes, finetune_figures

__all__ = [
    "PRETRAIN_STAGES",
    "REVIEW_SETS",
    "build_release",
    "main",
    "pack_model",
    "pretrain_flags",
    "restore_kept",
    "write_review_splits",
]

MODEL_OVERRIDES = (
    "num_hidden_layers=4,hidden_size=256,num_attention_heads=4,intermediate_size=1024,"
    "hidden_dropout_prob=0,attention_probs_dropout_prob=0"
)
_COMMON = {
    "max_seq_length": 128,
    "per_device_train_batch_size": 64,
    "per_device_eval_batch_size": 64,
    "weight_decay": 0.01,
    "adam_beta2": 0.98,
    "bf16": True,
    "eval_strategy": "steps",
    "eval_steps": 500,
    "save_steps": 500,
    "save_total_limit": 2,
    "logging_steps": 50,
    "seed": 42,
    "report_to": "none",
    "max_eval_samples": 512,
    "attn_implementation": "eager",
    "resume_from_checkpoint": "latest",
}
# The two pretraining stages, as the flags of `wwm-pretrain` (paths relative to the work folder).
PRETRAIN_STAGES: dict[str, dict[str, Any]] = {
    "stage1": {
        **_COMMON,
        "config_name": "bert-base-chinese",
        "config_overrides": MODEL_OVERRIDES,
        "tokenizer_name": "vocab",
        "position_init": "sinusoidal",
        "segmenter": "char",
        "learning_rate": 1e-3,
        "warmup_steps": 500,
        "max_steps": 3000,
    },
    "stage2": {
        **_COMMON,
        "model_name_or_path": "stage1",
        "segmenter": "jieba",
        "learning_rate": 5e-4,
        "warmup_steps": 150,
        "max_steps": 1500,
    },
}
REVIEW_SETS = {
    "chnsenticorp_htl": "chnsenticorp_htl/ChnSentiCorp_htl_all.csv",
    "waimai_10k": "waimai_10k/waimai_10k.csv",
    "online_shopping_10_cats": "online_shopping_10_cats/online_shopping_10_cats.csv",
}
MSRA_TRAIN = "msra_ner/train.char.bio"
SENTIMENT_NAMES = {"0": "负面", "1": "正面"}  # the review sets' labels: 0 negative, 1 positive
BASE_STAGE = list(PRETRAIN_STAGES)[-1]  # the pretraining stage whose model is the base
MODELS = ("mlm", "classifier", "tagger")
KEPT_DATA = {"mlm": ("base_corpus", "vocabulary"), "tagger": ("tagger",), "classifier": ("classifier",)}


def pretrain_flags(stage: str, work: Path) -> list[str]:
    from zhbert.resources import BERT_BASE_CHINESE_DIR

    flags = dict(PRETRAIN_STAGES[stage])
    for key in ("tokenizer_name", "model_name_or_path"):
        if key in flags:
            flags[key] = str(work / flags[key])
    if flags.get("config_name") == "bert-base-chinese":
        flags["config_name"] = str(BERT_BASE_CHINESE_DIR)
    flags.update(
        train_file=str(work / "corpus" / "train.txt"),
        validation_file=str(work / "corpus" / "heldout_legal.txt"),
        prepared_cache_dir=str(work / "prepared"),
        output_dir=str(work / stage),
    )
    return [item for key, value in flags.items() for item in (f"--{key}", str(value))]


def write_review_splits(shared: Path, out: Path) -> dict[str, dict[str, int]]:
    """``train.csv``, ``dev.csv`` and ``test.csv`` (``label,review``): each review set split as
    ``zhbert train --validation_split_percentage 10 --test_split_percentage 10 --split_seed 42`` splits it, and
    the parts joined. The sets share reviews (online_shopping_10_cats holds hundreds of ChnSentiCorp's), so a
    training review equal to a dev or test review of any set (after removing whitespace) is dropped. Returns
    the counts per set and part, with ``dropped_as_heldout`` per set."""
    from zhbert.data import read_cls_file, split_examples
    from zhbert.text.files import atomic_write

    splits = {}
    for name, relative in REVIEW_SETS.items():
        examples_of_set = read_cls_file(shared / relative, text_column="review").examples
        splits[name] = dict(zip(("train", "dev", "test"), split_examples(examples_of_set, DEV_PERCENT, TEST_PERCENT,
                                                                         SPLIT_SEED), strict=True))  # fmt: skip
    heldout = {squash(e.text) for split in splits.values() for part in ("dev", "test") for e in split[part]}
    parts: dict[str, list[tuple[str, str]]] = {"train": [], "dev": [], "test": []}
    counts: dict[str, dict[str, int]] = {}
    for name, split in splits.items():
        train = [e for e in split["train"] if squash(e.text) not in heldout]
        counts[name] = {"train": len(train), "dev": len(split["dev"]), "test": len(split["test"]),
                        "dropped_as_heldout": len(split["train"]) - len(train)}  # fmt: skip
        for part, examples in (("train", train), ("dev", split["dev"]), ("test", split["test"])):
            parts[part].extend((str(e.label), e.text) for e in examples)
    out.mkdir(parents=True, exist_ok=True)
    for part, pairs in parts.items():
        with atomic_write(out / f"{part}.csv") as handle:
            writer = csv.writer(handle)
            writer.writerow(["label", "review"])
            writer.writerows(pairs)
    return counts


def _finetune(task: str, work: Path, name: str, data: dict[str, Any], training: dict[str, Any]) -> dict[str, float]:
    from zhbert.finetune import FinetuneArguments, TaskArguments, finetune

    out = work / name
    shutil.rmtree(out, ignore_errors=True)  # what an interrupted run left
    args = TaskArguments(model_name_or_path=str(work / BASE_STAGE), **data)
    training_args = FinetuneArguments(output_dir=str(out), report_to="none", **training)
    return dict(finetune(task, args, training_args, command=f"python -m zhbert_demo.release ({name})"))


TAGGER_DATA = {"validation_split_percentage": DEV_PERCENT, "test_split_percentage": TEST_PERCENT,
               "split_seed": SPLIT_SEED, "max_seq_length": 128, "crf": True, "fix_tags": True}  # fmt: skip
TAGGER_TRAINING = {"num_train_epochs": 2, "per_device_train_batch_size": 32, "learning_rate": 3e-4,
                   "warmup_steps": 0.05, "weight_decay": 0.01, "seed": 42}  # fmt: skip
CLASSIFIER_DATA = {"text_column": "review", "max_seq_length": 128}
CLASSIFIER_TRAINING = {"num_train_epochs": 1, "per_device_train_batch_size": 32, "learning_rate": 2e-4,
                       "warmup_steps": 0.05, "weight_decay": 0.01, "seed": 42,
                       "train_sampling_strategy": "group_by_length"}  # fmt: skip


def pack_model(source: Path, target: Path, label_names: dict[str, str] | None = None) -> None:
    """Copy a model folder with its weights stored as bf16 (half the bytes). ``config.json`` keeps
    ``dtype: float32``, so ``from_pretrained`` gives a float32 model unless asked otherwise; ``label_names``
    renames labels (``{"1": "正面"}``) in its ``id2label`` and ``label2id``."""
    import torch
    from safetensors.torch import load_file, save_file

    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file() and item.suffix in (".json", ".txt", ".md") and item.name not in _RUN_FILES:
            shutil.copy2(item, target / item.name)
    tensors = load_file(str(source / "model.safetensors"))
    packed = {k: (v.to(torch.bfloat16) if v.is_floating_point() else v).contiguous() for k, v in tensors.items()}
    save_file(packed, str(target / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((target / "config.json").read_text(encoding="utf-8"))
    config["dtype"] = "float32"
    if label_names:
        config["id2label"] = {i: label_names.get(name, name) for i, name in config["id2label"].items()}
        config["label2id"] = {name: int(i) for i, name in config["id2label"].items()}
    (target / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


_RUN_FILES = {"all_results.json", "train_results.json", "eval_results.json", "test_results.json",
              "trainer_state.json", "training_args.bin"}  # fmt: skip


def _stage_figures(stage_metrics: dict[str, dict[str, Any]]) -> dict[str, Any]:
    wanted = ("eval_", "train_tokens", "tokens_seen", "train_runtime")
    return {f"{s}_{k}": v for s, m in stage_metrics.items() for k, v in m.items() if k.startswith(wanted)}


def restore_kept(out: Path, work: Path, keep: Sequence[str], stages: Stages) -> tuple[dict[str, str], dict[str, Any]]:
    """Copy the models named in ``keep`` from the packed set at ``out`` into the work folder as finished steps
    (replacing what the work folder held there), each recorded in ``stages`` with its figures from the set's
    manifest; return ``{name: the date of the build that trained it}`` and that manifest."""
    from zhbert.errors import MissingFileError, UsageError

    unknown = sorted(set(keep) - set(MODELS))
    if unknown:
        raise UsageError(f"--keep: unknown model {', '.join(unknown)}; expected some of {', '.join(MODELS)}")
    if not keep:
        return {}, {}
    if not (out / "manifest.json").is_file():
        raise MissingFileError(f"--keep needs a packed set with its manifest.json at {out}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name in keep:
        target = work / (BASE_STAGE if name == "mlm" else name)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(out / name, target)
        figures = manifest["metrics"][name]
        results = {stage: {k.removeprefix(f"{stage}_"): v for k, v in figures.items() if k.startswith(f"{stage}_")}
                   for stage in PRETRAIN_STAGES} if name == "mlm" else {name: figures}  # fmt: skip
        for stage, values in results.items():
            stages.record(stage, values)
    earlier = manifest.get("kept_from_earlier_build", {})
    return {name: str(earlier.get(name, manifest.get("built", "unknown"))) for name in keep}, manifest


def _pretrain(stage: str, work: Path) -> dict[str, Any]:
    """One pretraining stage with ``wwm-pretrain``; its figures (``all_results.json``)."""
    from wwm_pretrain.run import main as wwm_pretrain
    from zhbert.errors import ZhbertError

    if wwm_pretrain(pretrain_flags(stage, work)) != 0:
        raise ZhbertError(f"wwm-pretrain failed in {stage}")
    return dict(json.loads((work / stage / "all_results.json").read_text(encoding="utf-8")))


def build_release(shared: Path, work: Path, out: Path, keep: Sequence[str] = ()) -> dict[str, Any]:
    """Run the steps of the module's docstring; return the manifest written to ``out``."""
    from transformers import AutoTokenizer

    from wwm_pretrain.vocab import count_tokens, prune_vocab, save_pruned_tokenizer
    from zhbert.resources import BERT_BASE_CHINESE_DIR

    from . import base_corpus

    started = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    stages = Stages(work / "stages", log="release")
    kept, earlier = restore_kept(out, work, keep, stages)
    corpus = work / "corpus"

    def build_corpus() -> dict[str, Any]:
        print("release: step 1: the base corpus", flush=True)
        base_corpus.main(["--shared", str(shared), "--out", str(corpus)])
        return dict(json.loads((corpus / "corpus.json").read_text(encoding="utf-8")))

    def build_vocab() -> dict[str, Any]:
        print("release: step 2: the pruned vocabulary", flush=True)
        tokenizer = AutoTokenizer.from_pretrained(str(BERT_BASE_CHINESE_DIR))
        tokens = prune_vocab(tokenizer, count_tokens(tokenizer, nonblank_lines([corpus / "train.txt"])), 2)
        save_pruned_tokenizer(tokenizer, tokens, work / "vocab", source="bert-base-chinese")
        return {"size": json.loads((work / "vocab" / "pruned_vocab.json").read_text(encoding="utf-8"))["size"]}

    stages.run("corpus", build_corpus)
    stages.run("vocab", build_vocab)
    for number, stage in enumerate(PRETRAIN_STAGES, start=3):
        print(f"release: step {number}: pretraining, {stage}", flush=True)
        stages.run(stage, partial(_pretrain, stage, work))
    print("release: step 5: the PER/LOC/ORG tagger (MSRA NER)", flush=True)
    tagger_data = {"train_file": str(shared / MSRA_TRAIN), **TAGGER_DATA}
    tagger = stages.run("tagger", partial(_finetune, "ner", work, "tagger", tagger_data, TAGGER_TRAINING))
    print("release: step 6: the sentiment classifier (reviews)", flush=True)
    review_counts = write_review_splits(shared, work / "reviews")
    reviews = {f"{p}_file": str(work / "reviews" / f"{p}.csv") for p in ("train", "test")}
    classifier_data = {**reviews, "validation_file": str(work / "reviews" / "dev.csv"), **CLASSIFIER_DATA}
    classifier = stages.run(
        "classifier", partial(_finetune, "classify", work, "classifier", classifier_data, CLASSIFIER_TRAINING)
    )
    print("release: step 7: the cloze test on the held-out laws", flush=True)
    cloze = heldout_cloze(work / BASE_STAGE, corpus / "heldout_legal.txt")
    print(f"release: {json.dumps(cloze)}", flush=True)

    print(f"release: step 8: packing the models into {out}", flush=True)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for name, source in zip(MODELS, (work / BASE_STAGE, work / "classifier", work / "tagger"), strict=True):
        pack_model(source, staging / name, SENTIMENT_NAMES if name == "classifier" else None)
    if not (staging / "mlm" / "pruned_vocab.json").is_file():  # a kept base brings its own
        shutil.copy2(work / "vocab" / "pruned_vocab.json", staging / "mlm" / "pruned_vocab.json")
    stage_metrics = {stage: stages.results[stage] for stage in PRETRAIN_STAGES}
    manifest = ModelSetManifest(
        name="zhbert demo models",
        command=f"python -m zhbert_demo.release --shared {shared} --work {work} --out {out}"
        + (f" --keep {','.join(keep)}" if keep else ""),
        built=time.strftime("%Y-%m-%d"),
        machine=f"{platform.machine()}, python {platform.python_version()}",
        data={
            "base_corpus": json.loads((corpus / "corpus.json").read_text(encoding="utf-8")),
            "vocabulary": json.loads((work / "vocab" / "pruned_vocab.json").read_text(encoding="utf-8"))["size"],
            "tagger": {"train_file": MSRA_TRAIN, **TAGGER_DATA},
            "classifier": {
                "sets": REVIEW_SETS,
                "split": "10% dev, 10% test, seed 42, per set",
                "counts": review_counts,
            },
        },
        models={
            "mlm": {"wwm-pretrain": {s: {k: v for k, v in PRETRAIN_STAGES[s].items()} for s in PRETRAIN_STAGES}},
            "tagger": {"zhbert train ner": {**TAGGER_DATA, **TAGGER_TRAINING}},
            "classifier": {
                "zhbert train classify": {**CLASSIFIER_DATA, **CLASSIFIER_TRAINING},
                "label_names": SENTIMENT_NAMES,
            },
        },
        metrics={
            "mlm": {**cloze, **_stage_figures(stage_metrics)},
            "tagger": finetune_figures(tagger),
            "classifier": finetune_figures(classifier),
        },
        extra={
            "kept_from_earlier_build": kept,
            "seconds_of_the_last_invocation": round(time.perf_counter() - started),  # steps done are skipped
        },
    )
    for name in kept:  # a kept model's data and flags are those of the build that trained it
        for key in KEPT_DATA[name]:
            if key in earlier.get("data", {}):
                manifest.data[key] = earlier["data"][key]
        if name in earlier.get("models", {}):
            manifest.models[name] = earlier["models"][name]
    manifest = replace(manifest, files=file_hashes(staging))
    manifest.write(staging)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return manifest.to_json()


def main(argv: Sequence[str] | None = None) -> int:
    from zhbert.cli import ArgumentParser, option_strings, run_cli

    parser = ArgumentParser(prog="python -m zhbert_demo.release", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", default="../shared/data", help="the shared data folder")
    parser.add_argument("--work", default="runs/release", help="where the runs and checkpoints go")
    parser.add_argument("--out", default="zhbert_demo/models", help="where the packed set and manifest go")
    parser.add_argument("--keep", default="", help="models of the set at --out to keep (some of mlm,tagger,classifier)")

    def body() -> int:
        args = parser.parse_args(argv)
        manifest = build_release(Path(args.shared), Path(args.work), Path(args.out),
                                 [k for k in args.keep.split(",") if k])  # fmt: skip
        print(json.dumps(manifest["metrics"], indent=2, ensure_ascii=False))
        return 0

    return run_cli("python -m zhbert_demo.release", body, option_strings(parser))


if __name__ == "__main__":
    sys.exit(main())
