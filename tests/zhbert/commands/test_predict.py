"""``zhbert predict`` streamed: every input record answered in its place with its fields, stdin and stdout, texts
on the command line, an empty input refused, a non-empty output kept unless resumed, resuming after Ctrl-C and
after SIGKILL with no line lost or repeated, and shards that cover the input exactly once."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zhbert.commands import main
from zhbert.commands.predict import parse_shard
from zhbert.errors import UsageError

REPO = Path(__file__).resolve().parents[3]
CLASSIFIER = REPO / "zhbert_demo" / "models" / "classifier"  # the shipped model: hidden 256, 4 layers
REVIEWS = ["房间很干净，服务也好。", "送餐太慢了，菜都凉了", "味道不错", "一般般吧", "太咸了，不会再点"]
ENV = {**os.environ, "ZHBERT_THREADS": "1"}  # one thread: a loaded machine runs torch slower with more


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def predict(model: Path, *argv: str) -> int:
    return main(["predict", "--model", str(model), "--quiet", *argv])


def test_each_record_is_answered_in_its_place_with_its_fields(tiny_classifier_dir, tmp_path):
    data = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": "味道很好", "label": "正面"}, None, {"id": "c", "text": " ", "label": "负面"}]
    rows.append({"id": "d", "text": "太慢", "label": "负面", "line": 9})
    data.write_text("".join((json.dumps(r, ensure_ascii=False) if r else "") + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert predict(tiny_classifier_dir, "--input", str(data), "--output", str(out)) == 0
    got = lines(out)
    assert [x["line"] for x in got] == [1, 2, 3, 4]
    assert got[0]["id"] == "a" and got[0]["input_label"] == "正面" and got[0]["label"] in ("正面", "负面")
    assert got[1] == {"line": 2, "skipped": "blank line"}
    assert got[2] == {"line": 3, "id": "c", "text": " ", "input_label": "负面", "skipped": "empty text"}
    assert got[3]["input_line"] == 9 and set(got[3]) >= {"score", "scores", "truncated", "text", "id"}


def test_tables_pass_their_columns_through(tiny_classifier_dir, tmp_path):
    table = tmp_path / "in.csv"
    table.write_text('id,review,gold\n1,"很快，\n好吃",正面\n\n3,,负面\n4,太慢,负面\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert predict(tiny_classifier_dir, "--input", str(table), "--output", str(out)) == 0
    got = lines(out)
    assert [(x["line"], x.get("id"), x.get("skipped")) for x in got] == [
        (2, "1", None),
        (4, None, "blank line"),
        (5, "3", "empty text"),
        (6, "4", None),
    ]
    assert got[0]["review"] == "很快，\n好吃" and got[0]["gold"] == "正面" and "label" in got[0]


def test_texts_on_the_command_line_and_stdin_to_stdout(tiny_classifier_dir, monkeypatch, capsys):
    monkeypatch.setenv("ZHBERT_THREADS", "1")
    argv = ["predict", "--model", str(tiny_classifier_dir)]
    assert main([*argv, "--text", "味道很好", "--text", "太慢"]) == 0
    said = capsys.readouterr()
    assert [json.loads(x)["text"] for x in said.out.splitlines()] == ["味道很好", "太慢"]
    assert f"zhbert predict: {tiny_classifier_dir} (classifier), 1 thread ($ZHBERT_THREADS), cpu" in said.err
    assert "2 predictions written to -" in said.err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("味道很好\n\n太慢\n".encode())))
    assert main([*argv, "--input", "-", "--output", "-", "--threads", "1"]) == 0
    said = capsys.readouterr()
    assert [json.loads(x)["line"] for x in said.out.splitlines()] == [1, 2, 3]
    assert "1 thread (as asked" in said.err


def test_an_input_without_texts_is_an_error(tiny_classifier_dir, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    for name, content in (("empty.txt", ""), ("blank.txt", "\n  \n"), ("header.csv", "text,label\n")):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert predict(tiny_classifier_dir, "--input", str(path), "--output", str(out)) == 2
        assert capsys.readouterr().err.strip().startswith(f"zhbert predict: error: {path}: no texts to label")
        assert not out.exists()


def test_a_non_empty_output_is_kept_unless_resumed(tiny_classifier_dir, tmp_path, capsys):
    texts = tmp_path / "in.txt"
    texts.write_text("味道很好\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("something\n", encoding="utf-8")
    assert predict(tiny_classifier_dir, "--input", str(texts), "--output", str(out)) == 2
    err = capsys.readouterr().err.strip()
    refusal = "not empty (10 bytes); to continue it, pass --resume; to start over, remove it"
    assert err == f"zhbert predict: error: {out}: {refusal}"
    assert predict(tiny_classifier_dir, "--input", str(texts), "--output", str(out), "--resume") == 2
    assert f"{out}:1: not a line of zhbert predict" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "something\n"


def test_resume_keeps_what_is_written_and_cuts_a_half_line(tiny_classifier_dir, tmp_path, capsys):
    texts = tmp_path / "in.txt"
    texts.write_text("".join(f"{REVIEWS[i % 5]}{i}\n" for i in range(10)), encoding="utf-8")
    whole = tmp_path / "whole.jsonl"
    assert (
        predict(
            tiny_classifier_dir,
            "--input",
            str(texts),
            "--output",
            str(whole),
        )
        == 0
    )
    part = tmp_path / "part.jsonl"
    head = whole.read_text(encoding="utf-8").splitlines(keepends=True)[:4]
    part.write_text("".join(head) + '{"line": 5, "text": "味', encoding="utf-8")
    assert (
        predict(
            tiny_classifier_dir,
            "--input",
            str(texts),
            "--output",
            str(part),
            "--resume",
        )
        == 0
    )
    resumed, expected = lines(part), lines(whole)
    assert [(x["line"], x["text"], x["label"]) for x in resumed] == [
        (x["line"], x["text"], x["label"]) for x in expected
    ]
    assert all(abs(x["score"] - y["score"]) < 1e-5 for x, y in zip(resumed, expected, strict=True))
    other = tmp_path / "other.txt"
    other.write_text("味道很好\n\n太慢\n", encoding="utf-8")
    assert predict(tiny_classifier_dir, "--input", str(other), "--output", str(part), "--resume") == 2
    err = capsys.readouterr().err
    assert f"{part}:1: answers input line 1, but that line of this input holds other fields" in err
    same = tmp_path / "same.txt"
    same.write_text("".join(f"{REVIEWS[i % 5]}{i}\n" for i in range(3)), encoding="utf-8")
    assert predict(tiny_classifier_dir, "--input", str(same), "--output", str(part), "--resume") == 2
    assert f"{part}:4: answers input line 4, but the input has only 3 records" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "expected"), [("0/2", (0, 2)), ("1/2", (1, 2)), (" 3 / 4 ", (3, 4)), (None, (0, 1))])
def test_shard_numbers_are_0_based(value, expected):
    assert parse_shard(value) == expected


@pytest.mark.parametrize("value", ["2/2", "1/0", "-1/2", "a/b", "1", "1/2/3"])
def test_a_bad_shard_is_refused(value):
    with pytest.raises(UsageError, match=r"--shard takes I/N with 0 <= I < N, 0-based"):
        parse_shard(value)


def test_two_shards_cover_the_input_exactly_once(tiny_classifier_dir, tmp_path):
    texts = tmp_path / "in.txt"
    texts.write_text("".join("\n" if i % 7 == 3 else f"{REVIEWS[i % 5]}{i}\n" for i in range(41)), encoding="utf-8")
    outs = [tmp_path / f"out.{i}.jsonl" for i in range(2)]
    for i, out in enumerate(outs):
        assert predict(tiny_classifier_dir, "--input", str(texts), "--output", str(out), "--shard", f"{i}/2") == 0
    numbers = [[x["line"] for x in lines(out)] for out in outs]
    assert numbers[0] == list(range(1, 42, 2)) and numbers[1] == list(range(2, 42, 2))
    merged = sorted((x for out in outs for x in lines(out)), key=lambda x: x["line"])
    originals = texts.read_text(encoding="utf-8").splitlines()
    assert [x.get("text", "") for x in merged] == originals


def _wait_for_lines(out: Path, child: subprocess.Popen, at_least: int) -> None:
    deadline = time.monotonic() + 120
    while not (out.exists() and out.read_bytes().count(b"\n") >= at_least):
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "no output in 120 s"
        time.sleep(0.02)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_resume_after_ctrl_c_and_after_sigkill_loses_and_repeats_no_line(tmp_path):
    """The shipped classifier over 2,000 lines: interrupted (SIGINT), then killed (SIGKILL) with half a line
    appended as a crash mid-write leaves it, then resumed to the end. The reviews are long (about 100 characters)
    so that on an idle machine the run is still going when the signals come."""
    texts = tmp_path / "in.txt"
    originals = ["" if i % 50 == 49 else f"{REVIEWS[i % 5] * 8}第{i}条" for i in range(2000)]
    texts.write_text("\n".join(originals) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = [sys.executable, "-m", "zhbert", "predict", "--model", str(CLASSIFIER), "--input", str(texts)]
    argv += ["--output", str(out), "--chunk-size", "32", "--quiet"]

    # A shell that runs a job in the background starts it with SIGINT ignored, and children inherit that: the child
    # gets SIGINT's default back, so Python turns it into KeyboardInterrupt as it does in a terminal.
    child = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=ENV, preexec_fn=_default_sigint)
    _wait_for_lines(out, child, 32)
    child.send_signal(signal.SIGINT)
    assert child.wait(60) == 130
    assert out.read_bytes().endswith(b"\n")
    first = out.read_bytes().count(b"\n")

    child = subprocess.Popen([*argv, "--resume"], stderr=subprocess.PIPE, text=True, env=ENV)
    _wait_for_lines(out, child, first + 32)
    child.kill()
    child.wait(60)
    with out.open("ab") as handle:
        handle.write('{"line": 99999, "text": "半'.encode())  # what a crash in the middle of a write leaves

    done = subprocess.run([*argv, "--resume"], capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stderr
    got = lines(out)
    assert [x["line"] for x in got] == list(range(1, 2001))
    assert [x.get("text", "") for x in got] == originals
    assert all(("label" in x) != ("skipped" in x) for x in got)


def test_an_exported_model_predicts_as_its_checkpoint(tmp_path, monkeypatch, capsys):
    """``zhbert predict`` over a ``zhbert export`` directory: ONNX Runtime on the threads chosen, the checkpoint's
    labels; a device or dtype for it is refused in one line."""
    from zhbert.export import export_model

    monkeypatch.setenv("ZHBERT_THREADS", "1")
    export_model(CLASSIFIER, tmp_path / "export", threads=1)
    argv = [x for text in REVIEWS for x in ("--text", text)] + ["--output", "-"]
    assert predict(tmp_path / "export", *argv) == 0
    exported = [json.loads(x)["label"] for x in capsys.readouterr().out.splitlines()]
    assert main(["predict", "--model", str(tmp_path / "export"), *argv]) == 0
    assert "(classifier), 1 thread ($ZHBERT_THREADS), onnxruntime (model.onnx" in capsys.readouterr().err
    assert predict(CLASSIFIER, *argv, "--dtype", "float32") == 0
    assert exported == [json.loads(x)["label"] for x in capsys.readouterr().out.splitlines()]
    assert predict(tmp_path / "export", *argv, "--dtype", "bf16") == 2
    assert "is an export, which runs on the CPU in its graph's own types" in capsys.readouterr().err
