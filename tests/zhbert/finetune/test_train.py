from __future__ import annotations

import json
import subprocess
import sys

import pytest
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

from tests.conftest import REPO, TEST_DATA
from zhbert import EntityTagger, TextClassifier
from zhbert.commands import main


def resume(name: str):
    return str(TEST_DATA / f"resume_{name}.char.bmes")


def quick(output_dir, *extra):
    return [
        "--output_dir", str(output_dir), "--per_device_train_batch_size", "16", "--learning_rate", "1e-3",
        "--disable_tqdm", "true", "--seed", "0", *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def ner_run(tiny_mlm_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("ner") / "model"
    args = [
        "train", "ner", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", resume("train"),
        "--validation_file", resume("dev"), "--test_file", resume("test"), "--fix-tags", "--crf", "true",
        "--max_train_samples", "200", "--num_train_epochs", "1", *quick(out),
    ]  # fmt: skip
    assert main(args) == 0
    return out


def test_ner_training_output(ner_run, capsys):
    results = json.loads((ner_run / "all_results.json").read_text())
    assert {"eval_f1", "eval_macro_f1", "test_f1", "test_precision", "test_recall"} <= set(results)
    config = json.loads((ner_run / "config.json").read_text())
    assert config["id2label"]["0"] == "O" and "S-NAME" in config["label2id"] and config["zhbert_crf"] is True
    card = (ner_run / "README.md").read_text()
    assert "strict IOBES" in card and "test_f1" in card and "EntityTagger" in card and "--fix-tags" in card
    assert "`AutoModelForTokenClassification` loads only part of it" in card and "`zhbert export`" in card
    report = json.loads((ner_run / "metrics_report.json").read_text())
    assert "TITLE" in report["test"]
    # Plain transformers loads it; zhbert restores the CRF.
    assert AutoModelForTokenClassification.from_pretrained(ner_run).config.num_labels == 1 + 4 * 8
    assert EntityTagger.from_pretrained(ner_run, device="cpu").crf is not None


def test_evaluate_and_predict(ner_run, tmp_path, capsys):
    assert main(["evaluate", "--model", str(ner_run), "--test_file", resume("test")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    results = json.loads((ner_run / "all_results.json").read_text())
    assert out[-1] == f"test_f1 {results['test_f1']:.4f}"  # the same decoding path as in training
    texts = tmp_path / "in.txt"
    texts.write_text("高勇，男，中国国籍。\n\n1968年出生，大专学历。\n", encoding="utf-8")
    assert main(["predict", "--model", str(ner_run), "--input", str(texts), "--output", str(tmp_path / "p.jsonl")]) == 0
    assert "(1 blank line or empty text marked)" in capsys.readouterr().err
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r.get("text") for r in rows] == ["高勇，男，中国国籍。", None, "1968年出生，大专学历。"]
    assert rows[1] == {"line": 2, "skipped": "blank line"}  # line N of the output answers line N of the input
    rows = [rows[0], rows[2]]
    for row in rows:
        for e in row["entities"]:
            assert row["text"][e["start"] : e["end"]] == e["text"]


def test_evaluate_in_float32_reproduces_the_training_figures(ner_run, tmp_path, capsys):
    # Training scores through the API in its weights' float type, float32; evaluate's auto picks bf16 on a CPU or
    # GPU that has it, which moves the figures in the fourth decimal. Asked for float32, every digit agrees.
    trained = json.loads((ner_run / "all_results.json").read_text())
    assert trained["test_f1"] > 0  # a figure worth comparing
    report = tmp_path / "eval.json"
    argv = ["evaluate", "--model", str(ner_run), "--test_file", resume("test"), "--fix-tags", "--dtype", "float32"]
    assert main([*argv, "--output", str(report)]) == 0
    assert "zhbert evaluate: float32 on cpu (--dtype float32)" in capsys.readouterr().err
    scores = json.loads(report.read_text())
    for key in ("f1", "precision", "recall", "macro_f1"):
        assert scores[key] == trained[f"test_{key}"], key


def test_classification(tiny_mlm_dir, tmp_path, capsys):
    out = tmp_path / "cls"
    data = str(TEST_DATA / "chnsenticorp_sample.csv")
    args = [
        "train", "classify", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", data,
        "--validation_split_percentage", "10", "--test_split_percentage", "10", "--max_train_samples", "300",
        "--max_steps", "10", "--eval_strategy", "steps", "--eval_steps", "5", "--max_seq_length", "64",
        "--train_sampling_strategy", "group_by_length", *quick(out),
    ]  # fmt: skip
    assert main(args) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("test_accuracy ")
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "0", "1": "1"} and config["zhbert_task"] == "classify"
    assert AutoModelForSequenceClassification.from_pretrained(out).config.num_labels == 2
    result = TextClassifier.from_pretrained(out, device="cpu").predict(["房间很干净，服务很好。"])[0]
    assert result.label in {"0", "1"} and abs(sum(result.scores.values()) - 1) < 1e-5


def test_classification_on_soft_labels(tiny_mlm_dir, tmp_path):
    # Every text is 80% "好评": trained on the distribution, the model says 0.8, not the 1.0 a hard label teaches.
    rows = [{"text": f"第{i}条评论", "label": {"差评": 0.2, "好评": 0.8}} for i in range(64)]
    rows[0]["label"] = "差评"  # ordinary labels mix in as one-hot distributions
    train = tmp_path / "soft.jsonl"
    train.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "cls"
    argv = ["train", "classify", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", str(train),
            "--max_steps", "60", *quick(out)]  # fmt: skip
    assert main(argv) == 0
    assert json.loads((out / "config.json").read_text())["label2id"] == {"好评": 0, "差评": 1}
    results = TextClassifier.from_pretrained(out, device="cpu").predict([f"第{i}条评论" for i in range(100, 120)])
    mean = sum(r.scores["好评"] for r in results) / len(results)
    assert 0.7 < mean < 0.88, mean


def test_other_ner_formats_train(tiny_mlm_dir, tmp_path):
    weibo = tmp_path / "weibo.txt"
    weibo.write_text(
        "张0\tB-PER\n三0\tI-PER\n在0\tO\n北0\tB-LOC\n京1\tI-LOC\n\n李0\tB-PER\n四1\tI-PER\n", encoding="utf-8"
    )
    assert main(["train", "ner", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", str(weibo),
                 "--max_steps", "2", *quick(tmp_path / "w")]) == 0  # fmt: skip
    clue = str(TEST_DATA / "cluener_dev_sample.json")
    assert main(["train", "ner", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", clue,
                 "--max_train_samples", "64", "--max_steps", "2", *quick(tmp_path / "c")]) == 0  # fmt: skip
    labels = json.loads((tmp_path / "c" / "config.json").read_text())["label2id"]
    assert "S-game" in labels or "B-game" in labels


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("gbk", r"gbk.txt:1: not UTF-8 text; it decodes as GBK"),
        ("column", r"reviews.csv:1: no column 'text'"),
        ("scheme", "unknown tag scheme 'BILOU'"),
        (
            "tags",
            r"train.char.bmes:5: the sentence ends after M-ORG: the ORG entity is not closed .* \(see --fix_tags\)",
        ),
        ("unknown type", r"test.txt:1: entity type 'PET' is not among the model's types"),
        ("unknown label", r"dev.csv:3: label '2' is not among the model's labels"),
    ],
)
def test_bad_input_names_the_place_and_writes_nothing(case, message, tiny_mlm_dir, tmp_path, capsys):
    out = tmp_path / "out"
    base = ["--model_name_or_path", str(tiny_mlm_dir), *quick(out)]
    if case == "gbk":
        bad = tmp_path / "gbk.txt"
        bad.write_bytes("高 B-NAME\n勇 E-NAME\n".encode("gbk"))
        argv = ["train", "ner", "--train_file", str(bad), *base]
    elif case == "column":
        bad = tmp_path / "reviews.csv"
        bad.write_text("label,comment\n1,很好\n", encoding="utf-8")
        argv = ["train", "classify", "--train_file", str(bad), "--text_column", "text", *base]
    elif case == "scheme":
        argv = ["train", "ner", "--train_file", resume("dev"), "--scheme", "BILOU", *base]
    elif case == "tags":
        bad = tmp_path / "train.char.bmes"
        bad.write_text("高 B-NAME\n勇 E-NAME\n\n中 B-ORG\n信 M-ORG\n", encoding="utf-8")
        argv = ["train", "ner", "--train_file", str(bad), *base]
    elif case == "unknown type":
        test = tmp_path / "test.txt"
        test.write_text("猫 S-PET\n", encoding="utf-8")
        argv = ["train", "ner", "--train_file", resume("dev"), "--test_file", str(test), *base]
    else:
        train, dev = tmp_path / "train.csv", tmp_path / "dev.csv"
        train.write_text("label,review\n0,差\n1,好\n", encoding="utf-8")
        dev.write_text("label,review\n1,好\n2,一般\n", encoding="utf-8")
        argv = ["train", "classify", "--train_file", str(train), "--validation_file", str(dev), *base]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "Traceback" not in err
    import re

    assert re.search(message, err), err
    assert not out.exists()


def test_evaluate_refuses_a_type_the_model_lacks(ner_run, tmp_path, capsys):
    test = tmp_path / "test.txt"
    test.write_text("高 B-NAME\n勇 E-NAME\n\n猫 S-PET\n", encoding="utf-8")
    assert main(["evaluate", "--model", str(ner_run), "--test_file", str(test)]) == 2
    assert "test.txt:4: entity type 'PET' is not among the model's types" in capsys.readouterr().err


def test_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "zhbert", "train"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2
    assert result.stderr.strip() == "zhbert train: error: choose a task: zhbert train {classify,ner} ... (see --help)"


def test_arguments_from_one_json_file(tiny_mlm_dir, tmp_path, capsys):
    out = tmp_path / "cls"
    args = {
        "model_name_or_path": str(tiny_mlm_dir),
        "train_file": str(TEST_DATA / "chnsenticorp_sample.csv"),
        "validation_split_percentage": 20,
        "max_seq_length": 32,
        "max_steps": 2,
        "output_dir": str(out),
        "disable_tqdm": True,
        "seed": 0,
    }
    path = tmp_path / "args.json"
    path.write_text(json.dumps(args), encoding="utf-8")
    assert main(["train", "classify", str(path)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("eval_accuracy ")
    assert json.loads((out / "config.json").read_text())["zhbert_max_length"] == 32
    path.write_text(json.dumps({**args, "max_steps": "many"}), encoding="utf-8")
    assert main(["train", "classify", str(path)]) == 2
    assert "invalid int value: 'many'" in capsys.readouterr().err
