"""The predictors over an exported directory on real ONNX Runtime: the same answers as over the PyTorch
checkpoint (labels and scores, entities with offsets, windows over long texts, masks filled), the graph and
thread choices, and the errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from zhbert.api import EntityTagger, MaskFiller, TextClassifier
from zhbert.errors import MissingFileError, UsageError
from zhbert.export import export_model

SHIPPED = Path(__file__).resolve().parents[3] / "zhbert_demo" / "models"
REVIEWS = ["味道很好，送餐也很快。", "房间太小了，隔音很差。", "一般", "快递员态度恶劣，东西也坏了，再也不买了！"]
SENTENCES = ["李明于2019年加入北京大学，任副教授。", "新华社上海三月五日电", "你好", "王芳在深圳腾讯公司工作。"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory, tiny_mlm_dir) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exported")
    export_model(SHIPPED / "classifier", root / "classifier", quantize="int8", threads=1)
    export_model(SHIPPED / "tagger", root / "tagger", threads=1)
    export_model(tiny_mlm_dir, root / "mlm", threads=1)
    return {"classifier": root / "classifier", "tagger": root / "tagger", "mlm": root / "mlm"}


def test_the_classifier_gives_pytorchs_labels_and_scores(exports):
    torch_side = TextClassifier.from_pretrained(SHIPPED / "classifier", dtype="float32").predict(REVIEWS)
    onnx = TextClassifier.from_pretrained(exports["classifier"], quantized=False, threads=1)
    assert onnx.backend == "onnxruntime (model.onnx, 1 thread (as asked))"
    for a, b in zip(torch_side, onnx.predict(REVIEWS, batch_size=3), strict=True):
        assert a.label == b.label and a.scores == pytest.approx(b.scores, abs=1e-4)


def test_the_int8_graph_is_the_default_when_the_export_has_one(exports):
    int8 = TextClassifier.from_pretrained(exports["classifier"], threads=1)
    assert int8.model.graph == "model.int8.onnx"
    fp32 = TextClassifier.from_pretrained(exports["classifier"], quantized=False).predict(REVIEWS)
    assert [c.label for c in int8.predict(REVIEWS)] == [c.label for c in fp32]
    with pytest.raises(MissingFileError, match="the export has no int8 graph"):
        EntityTagger.from_pretrained(exports["tagger"], quantized=True)


def test_the_tagger_gives_pytorchs_entities_with_offsets_also_in_windows(exports):
    long_text = "据新华社报道，" + "张伟和李娜在北京参加了中国科学院的会议。" * 20  # over 128 tokens: windows
    texts = [*SENTENCES, long_text]
    torch_side = EntityTagger.from_pretrained(SHIPPED / "tagger", dtype="float32").predict(texts)
    onnx = EntityTagger.from_pretrained(exports["tagger"], threads=1)
    got = onnx.predict(texts, batch_size=2)
    assert any(got)
    with pytest.raises(ValueError, match=r"texts\[1\] is empty"):
        onnx.predict(["你好", ""])  # the one rule for empty texts holds on this backend too
    for text, a, b in zip(texts, torch_side, got, strict=True):
        assert [(e.text, e.type, e.start, e.end) for e in a] == [(e.text, e.type, e.start, e.end) for e in b]
        assert all(text[e.start : e.end] == e.text for e in b)
        assert [e.score for e in a] == pytest.approx([e.score for e in b], abs=1e-4)
    assert len(got[-1]) >= 40  # the entities of every window, none lost or doubled at an edge


def test_the_mask_filler_gives_pytorchs_candidates(exports, tiny_mlm_dir):
    texts = ["中华人民共和国[MASK]法", "今天天气很[MASK]，我们去[MASK]园。"]
    a = MaskFiller.from_pretrained(tiny_mlm_dir, dtype="float32").predict(texts, top_k=3)
    b = MaskFiller.from_pretrained(exports["mlm"]).predict(texts, top_k=3)
    assert [[[c.token for c in m] for m in t] for t in a] == [[[c.token for c in m] for m in t] for t in b]


def test_the_wrong_predictor_device_or_option_is_named(exports):
    with pytest.raises(UsageError, match="an exported token-classification model; load it with EntityTagger"):
        TextClassifier.from_pretrained(exports["tagger"])
    with pytest.raises(UsageError, match="an exported model runs on the CPU"):
        EntityTagger.from_pretrained(exports["tagger"], device="cuda")
    with pytest.raises(UsageError, match="quantized picks a graph of an exported directory"):
        TextClassifier.from_pretrained(SHIPPED / "classifier", quantized=True)
    with pytest.raises(UsageError, match="threads must be a whole number >= 1, got 0"):
        TextClassifier.from_pretrained(exports["classifier"], threads=0)


def test_without_onnxruntime_an_export_names_the_extra(exports):
    code = (
        "import sys; sys.modules['onnxruntime'] = None\n"
        "from zhbert.api import TextClassifier\n"
        "from zhbert.errors import MissingExtraError\n"
        "try:\n"
        f"    TextClassifier.from_pretrained({str(exports['classifier'])!r})\n"
        "except MissingExtraError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install zhbert[onnx]" in out
