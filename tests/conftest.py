"""Session fixtures: the real bert-base-chinese vocab, tiny models built from it, a real LTP legacy model
trained on SIGHAN 2005 gold, and real lines of legal text and resumes, all from files in the repository
(``tests/data/README.md``). Tests that need the full shared data sets call ``shared(...)``, which skips them
with the reason when the data is absent."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# The suite runs in float32 on every machine, so its figures do not depend on the CPU;
# tests/zhbert/models/test_precision.py covers the bf16 path by setting the variable itself. ZHBERT_CPU_BF16=1 runs
# the whole suite as on a bf16 CPU.
os.environ.setdefault("ZHBERT_CPU_BF16", "0")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("ZHBERT_SHARED_DATA", REPO.parent / "shared" / "data"))
TEST_DATA = Path(__file__).resolve().parent / "data"
LAW_CORPUS = REPO / "zhbert_demo" / "data" / "law_corpus.txt"  # 54 documents of PRC law, shipped for the demo


def shared(*parts: str) -> Path:
    """A file of the full shared data sets; the calling test is skipped, with the reason, when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the full data set {path} (set ZHBERT_SHARED_DATA, or put shared/data beside the clone)")
    return path


@pytest.fixture(scope="session")
def tokenizer():
    from transformers import AutoTokenizer

    from zhbert.resources import BERT_BASE_CHINESE_DIR

    return AutoTokenizer.from_pretrained(str(BERT_BASE_CHINESE_DIR))


@pytest.fixture(scope="session")
def tiny_mlm_dir(tmp_path_factory, tokenizer, tiny_config_dir) -> Path:
    """A 2-layer, hidden-64 BertForMaskedLM on the real 21,128-token vocab, saved like any checkpoint."""
    import torch
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    config = BertConfig.from_pretrained(tiny_config_dir)
    path = tmp_path_factory.mktemp("tiny-mlm")
    BertForMaskedLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _tiny_head(tmp_path_factory, tokenizer, tiny_mlm_dir, auto_class: str, labels: list[str]) -> Path:
    import torch
    import transformers

    torch.manual_seed(0)
    model = getattr(transformers, auto_class).from_pretrained(
        tiny_mlm_dir,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
    )
    path = tmp_path_factory.mktemp(auto_class.lower())
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_classifier_dir(tmp_path_factory, tokenizer, tiny_mlm_dir) -> Path:
    """The tiny model with a fresh sentiment head (负面, 正面), saved as a sequence classifier."""
    return _tiny_head(tmp_path_factory, tokenizer, tiny_mlm_dir, "AutoModelForSequenceClassification", ["负面", "正面"])


@pytest.fixture(scope="session")
def tiny_tagger_dir(tmp_path_factory, tokenizer, tiny_mlm_dir) -> Path:
    """The tiny model with a fresh BIOES head for PER, saved as a token classifier."""
    labels = ["O", "B-PER", "I-PER", "E-PER", "S-PER"]
    return _tiny_head(tmp_path_factory, tokenizer, tiny_mlm_dir, "AutoModelForTokenClassification", labels)


@pytest.fixture(scope="session")
def ltp_model_dir(tmp_path_factory) -> Path:
    """A real LTP legacy perceptron segmenter, trained in seconds on samples of the PKU and MSR gold files."""
    from ltp_extension.perceptron import CWSTrainer

    work = tmp_path_factory.mktemp("ltp-cws")
    lines = []
    for name in ("pku_test_gold_sample.utf8", "msr_test_gold_sample.utf8"):
        text = (TEST_DATA / name).read_text(encoding="utf-8")
        lines += [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    random.Random(0).shuffle(lines)
    (work / "train.txt").write_text("\n".join(lines[:-50]) + "\n", encoding="utf-8")
    (work / "dev.txt").write_text("\n".join(lines[-50:]) + "\n", encoding="utf-8")
    trainer = CWSTrainer()
    trainer.epoch = 3
    trainer.load_train_data(str(work / "train.txt"))
    trainer.load_eval_data(str(work / "dev.txt"))
    model = trainer.train()
    model_dir = work / "model"
    model_dir.mkdir()
    model.save(str(model_dir / "cws_model.bin"))
    # "nerual" is LTP's own spelling of the key.
    (model_dir / "config.json").write_text(json.dumps({"nerual": False, "tasks": {"cws": "cws_model.bin"}}))
    return model_dir


@pytest.fixture(scope="session")
def law_lines() -> list[str]:
    """3,000 random paragraphs of the legal corpus (fixed seed)."""
    text = LAW_CORPUS.read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if line.strip()]
    return random.Random(0).sample(lines, 3000)


@pytest.fixture(scope="session")
def resume_sentences() -> list[str]:
    """Sentences of the Resume NER training sample, characters joined."""
    sentences, chars = [], []
    for line in (TEST_DATA / "resume_train.char.bmes").read_text(encoding="utf-8").split("\n"):
        if line.strip():
            chars.append(line.split(" ")[0])
        elif chars:
            sentences.append("".join(chars))
            chars = []
    return sentences


@pytest.fixture(scope="session")
def tiny_config_dir(tmp_path_factory, tokenizer) -> Path:
    """A 2-layer, hidden-64 BERT config on the real vocab, for training from scratch."""
    from transformers import BertConfig

    path = tmp_path_factory.mktemp("tiny-config")
    BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=512,
    ).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def law_txt(tmp_path_factory) -> Path:
    """The first 4,000 lines of the legal corpus (documents separated by blank lines), as a .txt corpus."""
    lines = LAW_CORPUS.read_text(encoding="utf-8").split("\n")[:4000]
    path = tmp_path_factory.mktemp("law") / "law.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the demo: the quick build of the default set, its handlers, and the app launched on it -------------------


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    from zhbert_demo.model_set import build_demo_models

    home = tmp_path_factory.mktemp("zhbert-home")
    build_demo_models(home, quick=True)
    return home


@pytest.fixture(scope="session")
def handlers(demo_home):
    from zhbert_demo.handlers import load_handlers
    from zhbert_demo.model_set import DEMO_TERMS, DemoModelPaths

    # The models the server below serves with no model flags: the shipped set when there is one.
    paths = DemoModelPaths.shipped() or DemoModelPaths.complete(demo_home)
    assert paths is not None
    return load_handlers(
        str(paths.classifier), str(paths.tagger), str(paths.mlm), user_dict=str(paths.user_dict), terms=str(DEMO_TERMS)
    )


@pytest.fixture(scope="session")
def server(demo_home, tmp_path_factory):
    """``python -m zhbert_demo`` with no model flags: it must find the shipped set, or the built one in
    ZHBERT_HOME."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("demo-server") / "server.log"
    env = {**os.environ, "ZHBERT_HOME": str(demo_home), "GRADIO_ANALYTICS_ENABLED": "False"}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zhbert_demo", "--port", str(port)], cwd=REPO, env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the demo exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"the demo did not answer in 120 s:\n{log_path.read_text()}") from None
            time.sleep(0.5)
    yield url, log_path, proc.pid
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="session")
def client(server):
    from gradio_client import Client

    return Client(server[0], verbose=False)
