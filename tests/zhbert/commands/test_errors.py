"""Every entry point reports a user's mistake the same way: one line, ``<command>: error: ...``, exit status 2;
``ZHBERT_DEBUG=1`` shows the traceback instead."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from wwm_pretrain.run import main as pretrain_main
from zhbert.commands import main as zhbert_main
from zhbert_demo.app import main as demo_main
from zhbert_demo.model_set import main as build_main


@pytest.fixture
def files(tmp_path):
    gbk = tmp_path / "gbk.csv"  # a suffix every reader takes (classification data is .csv, .tsv or .jsonl)
    gbk.write_bytes("text,label\n高勇,1\n".encode("gbk"))
    return {"missing": tmp_path / "missing.csv", "gbk": gbk}


def entry_points(tiny_mlm_dir, classifier, tagger, tiny_config_dir, tokenizer_dir, out):
    """command -> (main, prog, flags for a given input file, flags with a bad value)."""
    models = ["--classifier", str(classifier), "--tagger", str(tagger), "--mlm", str(tiny_mlm_dir)]
    pretrain = ["--config_name", str(tiny_config_dir), "--tokenizer_name", str(tokenizer_dir), "--output_dir", out]
    return {
        "preview": (
            zhbert_main,
            "zhbert preview",
            lambda f: ["preview", "你好", "--user-dict", f],
            ["preview", "你好", "--seed", "x"],
        ),
        "train": (
            zhbert_main,
            "zhbert train ner",
            lambda f: [
                "train",
                "ner",
                "--model_name_or_path",
                str(tiny_mlm_dir),
                "--train_file",
                f,
                "--output_dir",
                out,
            ],
            ["train", "ner", "--model_name_or_path", str(tiny_mlm_dir), "--train_file", "t", "--learning_rate", "x"],
        ),
        "evaluate": (
            zhbert_main,
            "zhbert evaluate",
            lambda f: ["evaluate", "--model", str(classifier), "--test_file", f],
            ["evaluate", "--model", str(classifier), "--test_file", "t", "--batch_size", "x"],
        ),
        "predict": (
            zhbert_main,
            "zhbert predict",
            lambda f: ["predict", "--model", str(classifier), "--input", f, "--output", f"{out}.jsonl"],
            ["predict", "--model", str(classifier), "--input", "t", "--output", "o", "--batch_size", "x"],
        ),
        "wwm-pretrain": (
            pretrain_main,
            "wwm-pretrain",
            lambda f: [*pretrain, "--train_file", f, "--max_steps", "1"],
            [*pretrain, "--train_file", "t", "--max_steps", "x"],
        ),
        "demo": (demo_main, "zhbert demo", lambda f: [*models, "--user-dict", f], [*models, "--port", "x"]),
    }


@pytest.mark.parametrize("case", ["missing", "gbk", "bad value"])
@pytest.mark.parametrize("command", ["preview", "train", "evaluate", "predict", "wwm-pretrain", "demo"])
def test_one_line_and_status_2(
    command, case, files, tiny_mlm_dir, tiny_classifier_dir, tiny_tagger_dir, tiny_config_dir, tmp_path, capsys
):
    from zhbert.resources import BERT_BASE_CHINESE_DIR

    out = str(tmp_path / "out")
    models = (tiny_mlm_dir, tiny_classifier_dir, tiny_tagger_dir)
    main, prog, with_file, bad_value = entry_points(*models, tiny_config_dir, BERT_BASE_CHINESE_DIR, out)[command]
    argv = bad_value if case == "bad value" else with_file(str(files[case]))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{prog}: error: "), err
    if case == "missing":
        assert "missing.csv" in err[0] and ("not found" in err[0] or "no such file" in err[0])
    elif case == "gbk":
        assert "gbk.csv:2: not UTF-8 text; it decodes as GBK" in err[0]
    else:
        assert "invalid" in err[0] and "'x'" in err[0]
    assert not os.path.exists(out)


def test_the_model_build_reports_a_bad_flag_in_one_line(capsys):
    assert build_main(["--quick", "--home"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["zhbert build-demo-models: error: argument --home: expected one argument (see --help)"]


def test_debug_shows_the_traceback(tmp_path):
    command = [sys.executable, "-m", "zhbert", "preview", "你好", "--user-dict", str(tmp_path / "missing.txt")]
    quiet = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    loud = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env={**os.environ, "ZHBERT_DEBUG": "1"})
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "MissingFileError" in loud.stderr


def test_a_hint_names_the_commands_own_flag(tmp_path, capsys):
    bad = tmp_path / "train.char.bmes"
    bad.write_text("中 B-ORG\n信 M-ORG\n", encoding="utf-8")
    assert (
        zhbert_main(
            ["train", "ner", "--model_name_or_path", "x", "--train_file", str(bad), "--output_dir", str(tmp_path / "o")]
        )
        == 2
    )
    assert capsys.readouterr().err.strip().endswith("(see --fix_tags)")
