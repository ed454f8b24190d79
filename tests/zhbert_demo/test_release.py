from __future__ import annotations

import csv
import json
import shutil

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForMaskedLM

from tests.conftest import REPO
from wwm_pretrain.run import parse_args
from wwm_pretrain.stages import Stages
from zhbert.errors import MissingFileError, UsageError
from zhbert_demo.release import (
    PRETRAIN_STAGES,
    REVIEW_SETS,
    pack_model,
    pretrain_flags,
    restore_kept,
    write_review_splits,
)


def test_review_splits_follow_each_sets_own_split(tmp_path):
    shared = tmp_path / "shared"
    sample = REPO / "tests" / "data" / "chnsenticorp_sample.csv"
    for relative in REVIEW_SETS.values():
        (shared / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample, shared / relative)
    counts = write_review_splits(shared, tmp_path / "reviews")
    parts = {}
    for part in ("train", "dev", "test"):
        with open(tmp_path / "reviews" / f"{part}.csv", encoding="utf-8", newline="") as f:
            parts[part] = list(csv.DictReader(f))
        assert len(parts[part]) == sum(c[part] for c in counts.values())
        assert {row["label"] for row in parts[part]} <= {"0", "1"}
    # The three copies of one file split the same way: no dev or test review is also a training review.
    train = {row["review"] for row in parts["train"]}
    assert not train & {row["review"] for row in parts["dev"] + parts["test"]}
    assert counts["waimai_10k"]["dev"] > 0


def test_training_reviews_shared_with_another_sets_dev_or_test_are_dropped(tmp_path):
    shared = tmp_path / "shared"
    with open(REPO / "tests" / "data" / "chnsenticorp_sample.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    # Each set holds the sample in another order, so each one's dev and test reviews are the others' training.
    for shift, relative in enumerate(REVIEW_SETS.values()):
        (shared / relative).parent.mkdir(parents=True, exist_ok=True)
        order = body[shift * 7 :] + body[: shift * 7]
        if shift == 2:  # a byte-order mark inside a text, as online_shopping_10_cats has in 20 reviews
            order = [[label, "\ufeff" + text] for label, text in order]
        with open(shared / relative, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([header, *order])
    counts = write_review_splits(shared, tmp_path / "reviews")
    parts = {}
    for part in ("train", "dev", "test"):
        with open(tmp_path / "reviews" / f"{part}.csv", encoding="utf-8", newline="") as f:
            parts[part] = [row["review"] for row in csv.DictReader(f)]
    heldout = {"".join(text.replace("\ufeff", "").split()) for text in parts["dev"] + parts["test"]}
    assert parts["train"] and not {"".join(text.replace("\ufeff", "").split()) for text in parts["train"]} & heldout
    assert sum(c["dropped_as_heldout"] for c in counts.values()) > 0
    assert len(parts["train"]) == sum(c["train"] for c in counts.values())
    assert len(parts["dev"]) == sum(c["dev"] for c in counts.values())


def test_packed_model_is_bf16_on_disk_and_float32_when_loaded(tiny_mlm_dir, tmp_path):
    pack_model(tiny_mlm_dir, tmp_path / "mlm")
    tensors = load_file(str(tmp_path / "mlm" / "model.safetensors"))
    assert {t.dtype for t in tensors.values()} == {torch.bfloat16}
    original = AutoModelForMaskedLM.from_pretrained(str(tiny_mlm_dir))
    packed = AutoModelForMaskedLM.from_pretrained(str(tmp_path / "mlm"))
    assert packed.dtype == torch.float32
    for (name, a), b in zip(original.state_dict().items(), packed.state_dict().values(), strict=True):
        assert torch.equal(a.to(torch.bfloat16).float(), b), name
    assert json.loads((tmp_path / "mlm" / "config.json").read_text())["dtype"] == "float32"


def test_kept_models_become_finished_steps_with_their_figures(tiny_mlm_dir, tmp_path):
    out, work = tmp_path / "models", tmp_path / "work"
    stages = Stages(work / "stages", log="release")
    with pytest.raises(MissingFileError, match=r"manifest\.json"):
        restore_kept(out, work, ["mlm"], stages)
    pack_model(tiny_mlm_dir, out / "mlm")
    pack_model(tiny_mlm_dir, out / "tagger")
    metrics = {"mlm": {"cloze_accuracy": 0.5, "stage1_eval_loss": 3.0, "stage2_eval_loss": 2.5},
               "tagger": {"test_f1": 0.8}}  # fmt: skip
    (out / "manifest.json").write_text(json.dumps({"built": "2026-12-01", "metrics": metrics}), encoding="utf-8")
    with pytest.raises(UsageError, match="--keep: unknown model base"):
        restore_kept(out, work, ["base"], stages)
    (work / "tagger").mkdir(parents=True)
    (work / "tagger" / "model.safetensors").write_bytes(b"another build")  # replaced by the kept one
    kept, earlier = restore_kept(out, work, ["mlm", "tagger"], stages)
    assert kept == {"mlm": "2026-12-01", "tagger": "2026-12-01"} and earlier["metrics"] == metrics
    assert (work / "stage2" / "model.safetensors").read_bytes() == (out / "mlm" / "model.safetensors").read_bytes()
    assert not (work / "stage1" / "model.safetensors").exists()
    assert json.loads((work / "stages" / "stage1.json").read_text()) == {"eval_loss": 3.0}
    assert json.loads((work / "stages" / "stage2.json").read_text()) == {"eval_loss": 2.5}
    assert json.loads((work / "stages" / "tagger.json").read_text()) == {"test_f1": 0.8}
    assert not (work / "classifier").exists() and not stages.done("classifier")
    # A kept model is a finished step: the build reads its record and runs nothing.
    assert stages.run("tagger", lambda: pytest.fail("a kept model was rebuilt")) == {"test_f1": 0.8}
    assert stages.ran == []
    assert (work / "tagger" / "model.safetensors").read_bytes() == (out / "tagger" / "model.safetensors").read_bytes()
    # A set that itself kept a model passes on the date of the build that trained it.
    manifest = {"built": "2026-12-03", "metrics": metrics, "kept_from_earlier_build": {"mlm": "2026-12-01"}}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert restore_kept(out, work, ["mlm", "tagger"], stages)[0] == {"mlm": "2026-12-01", "tagger": "2026-12-03"}


@pytest.mark.parametrize("stage", list(PRETRAIN_STAGES))
def test_release_stages_are_valid_wwm_pretrain_flags(stage, tmp_path):
    model_args, data_args, training_args = parse_args(pretrain_flags(stage, tmp_path))
    assert training_args.bf16 is True and training_args.output_dir == str(tmp_path / stage)
    assert data_args.segmenter == PRETRAIN_STAGES[stage]["segmenter"]
    assert data_args.validation_file == str(tmp_path / "corpus" / "heldout_legal.txt")
    assert (model_args.model_name_or_path or model_args.tokenizer_name or "").startswith(str(tmp_path))


def test_shipped_set_is_found_only_when_complete_and_its_manifest_is_shown(tmp_path, tiny_mlm_dir):
    from zhbert_demo.manifest import describe_models, read_manifest
    from zhbert_demo.model_set import DemoModelPaths

    assert DemoModelPaths.shipped(tmp_path) is None
    for name in ("mlm", "classifier", "tagger"):
        shutil.copytree(tiny_mlm_dir, tmp_path / name)
    assert DemoModelPaths.shipped(tmp_path) is None  # no manifest: an unfinished copy
    manifest = {
        "name": "zhbert demo models",
        "built": "2026-12-02",
        "command": "python -m zhbert_demo.release",
        "metrics": {"mlm": {"cloze_accuracy": 0.4123}, "tagger": {"test_f1": 0.8767}, "classifier": {}},
        "data": {"base_corpus": {"sources": {"law_corpus_zh": {}, "law_corpus_zh (held out)": {}}}},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    paths = DemoModelPaths.shipped(tmp_path)
    assert paths is not None and paths.root == tmp_path and paths.tagger == tmp_path / "tagger"
    text = describe_models(read_manifest(paths.root))
    assert "held-out cloze accuracy 0.412" in text and "held-out strict F1 0.877" in text
    assert "dev accuracy" not in text and "no figure recorded" in text
    assert "python -m zhbert_demo.release" in text and "(held out)" not in text
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert read_manifest(tmp_path) == {} and describe_models({}) == ""
