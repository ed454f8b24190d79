"""The ``zhbert`` command as a new user meets it: every subcommand in ``--help``, the task's own flags first in
``zhbert train TASK --help``, a mistyped model path refused at once, a GBK file refused in one line, and a
model load that says nothing when nothing is wrong."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import TEST_DATA
from zhbert.commands import main
from zhbert.data.texts import CorpusLines, read_texts
from zhbert.errors import DataError, MissingFileError

ONLINE = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}


def zhbert(*argv: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    """``python -m zhbert ARGV`` in a fresh interpreter, and its wall time in seconds."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "zhbert", *argv], capture_output=True, text=True, env=env or dict(os.environ)
    )
    return result, time.perf_counter() - start


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("    ") and line.strip()}
    assert {"preview", "train", "evaluate", "predict", "serve", "data", "terms", "demo", "build-demo-models"} <= listed


def test_the_demo_is_listed_without_being_imported():
    code = "import sys; from zhbert.commands import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
    code += "assert not [m for m in sys.modules if m.startswith('zhbert_demo')], 'imported'\n"
    code += "assert 'torch' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


@pytest.mark.parametrize("task", ["ner", "classify"])
def test_train_help_shows_the_tasks_flags_before_the_training_flags(task, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", task, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: zhbert train {task} --model_name_or_path DIR --train_file FILE")
    assert len(out.split("usage:")[1].split("\n\n")[0].splitlines()) == 2  # not every flag in the usage
    ours, training = out.index("--model_name_or_path"), out.index("\ntraining (transformers TrainingArguments")
    assert ours < out.index("--fix_tags") < training < out.index("--learning_rate")


def test_train_without_a_task_says_which(capsys):
    assert main(["train"]) == 2
    assert capsys.readouterr().err.strip() == (
        "zhbert train: error: choose a task: zhbert train {classify,ner} ... (see --help)"
    )


def test_a_flag_no_command_takes_is_refused(capsys):
    assert main(["preview", "你好", "--no-such-flag"]) == 2
    assert (
        capsys.readouterr().err.strip() == "zhbert preview: error: unrecognized arguments: --no-such-flag (see --help)"
    )


@pytest.mark.parametrize("network", ["offline", "online-configured"])
@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_a_missing_model_directory_fails_at_once(command, network, tmp_path):
    """No hub retries (about 30 s online-configured without a network, before): one line naming the path."""
    texts = tmp_path / "texts.txt"
    texts.write_text("你好\n", encoding="utf-8")
    model = str(tmp_path / "no" / "such" / "model")
    args = {
        "evaluate": ["evaluate", "--model", model, "--test_file", str(texts)],
        "predict": ["predict", "--model", model, "--input", str(texts), "--output", str(tmp_path / "out.jsonl")],
    }[command]
    env = {**ONLINE, "HF_HUB_OFFLINE": "1"} if network == "offline" else ONLINE
    result, seconds = zhbert(*args, env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"zhbert {command}: error: {model}: no such model directory"]
    assert seconds < 2.0, f"{seconds:.2f} s"  # measured: about 0.3 s on a loaded 2-core machine


@pytest.mark.parametrize("network", ["offline", "online-configured"])
def test_a_hub_name_that_cannot_be_had_fails_at_once(network, tmp_path):
    name = "zhbert-no-such-model"
    env = {**ONLINE, "HF_HUB_OFFLINE": "1"} if network == "offline" else ONLINE
    env["HF_HUB_CACHE"] = str(tmp_path / "cache")
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens: a machine without a network, in a moment
    result, seconds = zhbert("evaluate", "--model", name, "--test_file", "t.csv", env=env)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"zhbert evaluate: error: {name}: no such model directory, and ")
    assert ("in the cache (offline)" if network == "offline" else "cannot be reached") in result.stderr
    assert "Repo id" not in result.stderr and seconds < 2.0, f"{seconds:.2f} s"


def test_a_path_inside_a_folder_that_exists_is_not_taken_for_a_hub_name(tmp_path, monkeypatch):
    from zhbert.models.loading import model_source

    (tmp_path / "runs").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MissingFileError, match=r"^runs/resume-nre: no such model directory$"):
        model_source("runs/resume-nre")
    with pytest.raises(DataError, match="a file, not a model directory"):
        model_source(TEST_DATA / "legal_terms.txt")


def _gbk(path, text: str):
    path.write_bytes(text.encode("gbk"))
    return path


@pytest.fixture
def gbk_files(tmp_path):
    return {
        "txt": _gbk(tmp_path / "gbk.txt", "中华人民共和国刑法\n第一条为了惩罚犯罪\n"),
        "csv": _gbk(tmp_path / "gbk.csv", "text,label\n房间很干净,1\n"),
        "bmes": _gbk(tmp_path / "gbk.char.bmes", "高 B-NAME\n勇 E-NAME\n\n"),
    }


def gbk_commands(files, tmp_path, mlm, classifier):
    out = str(tmp_path / "out")
    return {
        "terms": ("zhbert terms", ["terms", str(files["txt"]), "-o", f"{out}.txt"], files["txt"], 1),
        "predict": (
            "zhbert predict",
            ["predict", "--model", str(classifier), "--input", str(files["txt"]), "--output", f"{out}.jsonl"],
            files["txt"],
            1,
        ),
        "train classify": (
            "zhbert train classify",
            [
                "train",
                "classify",
                "--model_name_or_path",
                str(mlm),
                "--train_file",
                str(files["csv"]),
                "--output_dir",
                out,
            ],
            files["csv"],
            2,
        ),
        "train ner": (
            "zhbert train ner",
            ["train", "ner", "--model_name_or_path", str(mlm), "--train_file", str(files["bmes"]), "--output_dir", out],
            files["bmes"],
            1,
        ),
    }


@pytest.mark.parametrize("command", ["terms", "predict", "train classify", "train ner"])
def test_a_gbk_file_fails_in_one_line(command, gbk_files, tmp_path, tiny_mlm_dir, tiny_classifier_dir):
    prog, argv, file, line = gbk_commands(gbk_files, tmp_path, tiny_mlm_dir, tiny_classifier_dir)[command]
    result, _ = zhbert(*argv)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [x for x in result.stderr.splitlines() if x.startswith(prog)]
    assert errors == [x for x in result.stderr.splitlines() if "error" in x.lower()], result.stderr
    assert len(errors) == 1 and errors[0].startswith(f"{prog}: error: {file}:{line}: not UTF-8 text; it decodes as GBK")
    assert not (tmp_path / "out").exists()


def test_the_readers_keep_every_text(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("\ufeff第一条\n\n  \n第二条 \r\n", encoding="utf-8")
    assert read_texts(path) == read_texts(str(path))
    inputs = read_texts(path)
    assert (inputs.texts, inputs.pairs, inputs.skipped) == (["第一条", "第二条 "], None, 2)
    corpus = CorpusLines([path, path])
    assert corpus.count == 0 and list(corpus) == ["第一条", "第二条 "] * 2 and corpus.count == 4


def test_loading_a_fine_tuned_model_says_nothing(tiny_tagger_dir, tiny_classifier_dir, tmp_path, capfd, caplog):
    from zhbert import EntityTagger, TextClassifier
    from zhbert.models import add_crf, load_token_classifier

    crf_tagger = tmp_path / "crf-tagger"
    shutil.copytree(tiny_tagger_dir, crf_tagger)
    add_crf(load_token_classifier(tiny_tagger_dir)).save_pretrained(crf_tagger)  # crf.* weights beside the rest
    capfd.readouterr()
    with caplog.at_level(logging.INFO):
        EntityTagger.from_pretrained(crf_tagger)
        TextClassifier.from_pretrained(tiny_classifier_dir)
    err = capfd.readouterr().err
    assert "LOAD REPORT" not in err and "UNEXPECTED" not in err and "MISSING" not in err
    assert not [r for r in caplog.records if "LOAD REPORT" in r.getMessage() or r.name == "zhbert"]


def test_a_checkpoint_that_lacks_weights_is_named_in_our_words(tiny_classifier_dir, tmp_path, capfd, caplog):
    from safetensors.torch import load_file, save_file

    from zhbert import TextClassifier

    broken = tmp_path / "broken"
    shutil.copytree(tiny_classifier_dir, broken)
    weights = load_file(broken / "model.safetensors")
    del weights["classifier.weight"]
    save_file(weights, broken / "model.safetensors", metadata={"format": "pt"})
    with caplog.at_level(logging.WARNING):
        TextClassifier.from_pretrained(broken)
    ours = [r.getMessage() for r in caplog.records if r.name == "zhbert"]
    assert ours == [
        f"{broken}: BertForSequenceClassification: 1 weight(s) missing from the checkpoint, initialised at random "
        "(classifier.weight)"
    ]
    assert "LOAD REPORT" not in capfd.readouterr().err
