"""Class weights in the classification loss: the weights, the loss on one real batch, the command line, resuming."""

from __future__ import annotations

import json
import logging
import math
import re
import shutil

import pytest
import torch

from tests.conftest import TEST_DATA
from zhbert.commands import main
from zhbert.errors import UsageError
from zhbert.finetune import ApiEvalTrainer, ClassificationTask, FinetuneArguments, TaskArguments
from zhbert.finetune.class_weight import class_weights, parse_class_weight

SHOPPING = TEST_DATA / "shopping_imbalanced.csv"  # 30 衣服, 8 书籍, 2 热水器
LABELS = ["书籍", "热水器", "衣服"]
BALANCED = [40 / (3 * 8), 40 / (3 * 2), 40 / (3 * 30)]


@pytest.fixture(scope="module")
def shopping():
    return ClassificationTask(text_column="review", label_column="cat").read(SHOPPING)


def test_balanced_weights(shopping):
    assert ClassificationTask().labels(shopping) == LABELS
    assert class_weights("balanced", shopping, LABELS) == pytest.approx(BALANCED)
    assert class_weights("热水器=5, 书籍=2", shopping, LABELS) == [2.0, 5.0, 1.0]  # labels not named keep 1
    assert class_weights("none", shopping, LABELS) is None


def test_balanced_weights_are_scikit_learns(shopping):
    import numpy as np
    from sklearn.utils.class_weight import compute_class_weight

    expected = compute_class_weight("balanced", classes=np.array(LABELS), y=np.array([e.label for e in shopping]))
    assert class_weights("balanced", shopping, LABELS) == pytest.approx(expected.tolist())


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("heavy", r"class_weight must be none, balanced or label=weight pairs separated by commas, got 'heavy'"),
        ("书籍=abc", r"class_weight of '书籍' must be a positive number, got 'abc'"),
        ("书籍=0", r"class_weight of '书籍' must be a positive number, got '0'"),
        ("书籍=-1", r"class_weight of '书籍' must be a positive number, got '-1'"),
        ("书籍=nan", r"class_weight of '书籍' must be a positive number, got 'nan'"),
        ("书籍=1,书籍=2", r"class_weight names '书籍' twice"),
    ],
)
def test_bad_values_are_refused_when_the_arguments_are_built(spec, message):
    with pytest.raises(UsageError, match=message):
        TaskArguments(model_name_or_path="m", train_file="t", class_weight=spec)


def test_the_loss_of_one_real_batch_equals_a_hand_computation(shopping, tiny_mlm_dir, tokenizer, tmp_path):
    task = ClassificationTask()
    torch.manual_seed(0)
    model = task.build_model(str(tiny_mlm_dir), LABELS, 64).eval()  # eval: no dropout, the same logits each call
    label2id = {label: i for i, label in enumerate(LABELS)}
    dataset = task.dataset(shopping, tokenizer, label2id, 64)
    collate = task.collator(tokenizer)
    batch = collate([dataset[i] for i in (0, 8, 9, 10, 20, 39)])  # the file holds 8 书籍, 2 热水器, then 30 衣服
    labels = batch["labels"].tolist()
    assert labels == [0, 1, 1, 2, 2, 2]
    args = FinetuneArguments(output_dir=str(tmp_path), eval_strategy="no", report_to=[])
    weighted = ApiEvalTrainer(model=model, args=args, task=task, class_weights=BALANCED)
    plain = ApiEvalTrainer(model=model, args=args, task=task)
    with torch.no_grad():
        logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits.tolist()
        loss_weighted = weighted.compute_loss(model, dict(batch)).item()
        loss_plain = plain.compute_loss(model, dict(batch)).item()

    def nll(row: list[float], target: list[float]) -> float:  # -sum_c p_c log softmax(row)_c
        log_z = math.log(sum(math.exp(z) for z in row))
        return -sum(p * (z - log_z) for p, z in zip(target, row, strict=True))

    one_hot = [[float(c == y) for c in range(3)] for y in labels]
    by_hand = sum(BALANCED[y] * nll(r, t) for y, r, t in zip(labels, logits, one_hot, strict=True)) / sum(
        BALANCED[y] for y in labels
    )
    assert loss_weighted == pytest.approx(by_hand, rel=1e-5)
    assert loss_plain == pytest.approx(sum(nll(r, t) for r, t in zip(logits, one_hot, strict=True)) / 6, rel=1e-5)
    assert loss_weighted != pytest.approx(loss_plain, rel=1e-3)  # a fresh head: near-uniform logits

    # Soft labels: one-hot rows train exactly as the hard labels; a mixed row weighs sum_c p_c * w[c].
    with torch.no_grad():
        as_soft = weighted.compute_loss(model, {**batch, "labels": torch.tensor(one_hot)}).item()
        soft = [[0.5, 0.5, 0.0], *one_hot[1:]]
        loss_soft = weighted.compute_loss(model, {**batch, "labels": torch.tensor(soft)}).item()
    assert as_soft == pytest.approx(loss_weighted, rel=1e-6)
    row_weight = [sum(p * w for p, w in zip(t, BALANCED, strict=True)) for t in soft]
    by_hand = sum(  # each label's log-probability weighs p_c * w[c]
        -sum(p * w * (z - math.log(sum(math.exp(x) for x in r))) for p, w, z in zip(t, BALANCED, r, strict=True))
        for r, t in zip(logits, soft, strict=True)
    ) / sum(row_weight)
    assert loss_soft == pytest.approx(by_hand, rel=1e-5)


def train_argv(model, out, *extra):
    return [
        "train", "classify", "--model_name_or_path", str(model), "--train_file", str(SHOPPING),
        "--text_column", "review", "--label_column", "cat", "--max_seq_length", "32", "--output_dir", str(out),
        "--per_device_train_batch_size", "16", "--learning_rate", "1e-3", "--disable_tqdm", "true", "--seed", "0",
        "--logging_steps", "1", "--eval_strategy", "no", "--save_strategy", "steps", "--save_steps", "2",
        "--max_steps", "4", *extra,
    ]  # fmt: skip


def losses(checkpoint):
    history = json.loads((checkpoint / "trainer_state.json").read_text())["log_history"]
    return {row["step"]: row["loss"] for row in history if "loss" in row}


def test_the_command_line_records_the_weights_and_a_resumed_run_keeps_them(tiny_mlm_dir, tmp_path, caplog, capsys):
    out = tmp_path / "weighted"
    with caplog.at_level(logging.INFO, logger="zhbert.finetune"):
        assert main(train_argv(tiny_mlm_dir, out, "--class_weight", "balanced")) == 0
    shown = "balanced: 书籍 1.667, 热水器 6.667, 衣服 0.4444"
    assert [r.getMessage() for r in caplog.records if "Class weights" in r.getMessage()] == [
        f"Class weights in the loss ({shown})"
    ]  # logged once
    config = json.loads((out / "config.json").read_text())
    assert config["zhbert_class_weight"] == pytest.approx(dict(zip(LABELS, BALANCED, strict=True)))
    assert f"Class weights in the loss ({shown})." in (out / "README.md").read_text()
    assert "--class_weight balanced" in (out / "README.md").read_text()

    # Resumed from step 2, the run logs the very losses of the uninterrupted one: the weights came along.
    resumed = tmp_path / "resumed"
    shutil.copytree(out / "checkpoint-2", resumed / "checkpoint-2")
    checkpoint = str(resumed / "checkpoint-2")
    capsys.readouterr()
    assert (
        main(train_argv(tiny_mlm_dir, resumed, "--class_weight", "none", "--resume_from_checkpoint", checkpoint)) == 2
    )
    err = capsys.readouterr().err.strip()
    assert err == (
        f"zhbert train classify: error: {checkpoint} was trained with class weights 书籍 1.667, 热水器 6.667, "
        "衣服 0.4444, not none: resume with the class_weight of its run (see --class_weight)"
    )
    assert (
        main(train_argv(tiny_mlm_dir, resumed, "--class_weight", "balanced", "--resume_from_checkpoint", "latest")) == 0
    )
    uninterrupted, again = losses(out / "checkpoint-4"), losses(resumed / "checkpoint-4")
    assert set(again) == {1, 2, 3, 4} and again == pytest.approx(uninterrupted)

    plain = tmp_path / "plain"
    assert main(train_argv(tiny_mlm_dir, plain)) == 0  # the same run without weights: other losses, no record
    assert losses(plain / "checkpoint-4")[1] != pytest.approx(uninterrupted[1])
    assert "zhbert_class_weight" not in json.loads((plain / "config.json").read_text())
    assert "Class weights" not in (plain / "README.md").read_text()


@pytest.mark.parametrize(
    ("task", "value", "message"),
    [
        ("classify", "书籍=2,手机=3", r"class_weight names '手机', which is not among the training labels \['书籍', "),
        ("classify", "书籍=abc", r"class_weight of '书籍' must be a positive number, got 'abc'"),
        ("ner", "balanced", r"class_weight is for classification, not ner: a CRF scores whole tag sequences"),
    ],
)
def test_bad_values_on_the_command_line(task, value, message, tiny_mlm_dir, tmp_path, capsys):
    out = tmp_path / "out"
    argv = train_argv(tiny_mlm_dir, out, "--class_weight", value)
    if task == "ner":
        argv[1], argv[5] = "ner", str(TEST_DATA / "resume_dev.char.bmes")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.strip().endswith("(see --class_weight)"), err
    assert re.search(message, err), err
    assert not out.exists()


def test_parse_keeps_labels_with_an_equals_sign():
    assert parse_class_weight("a=b=2, none=1") == {"a=b": 2.0, "none": 1.0}
