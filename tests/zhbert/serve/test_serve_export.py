"""``zhbert serve`` over exported directories: the shipped classifier and tagger exported with int8, served on
ONNX Runtime, answer as the Python API answers over the same exports."""

from __future__ import annotations

from dataclasses import asdict

import httpx
import pytest

from tests.zhbert.serve.test_server import MODELS, start, wait_ready
from zhbert import EntityTagger, TextClassifier
from zhbert.export import export_model

TEXTS = ["味道很好，送餐也很快。", "张三在北京大学工作，李四去了上海。", "高勇，男，中国国籍。" * 30]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("served-exports")
    for kind in ("classifier", "tagger"):
        export_model(MODELS / kind, out / kind, quantize="int8", threads=1)
    proc, url, log = start(out, "onnx", [str(out / "classifier"), str(out / "tagger")])
    wait_ready({"onnx": (proc, url, log)})
    yield out, url
    proc.terminate()
    proc.wait(30)


def test_exported_models_served_as_the_api_answers(exported):
    out, url = exported
    models = httpx.get(f"{url}/v1/models").json()["models"]
    assert {m["name"]: m["backend"].split(" ")[0] for m in models} == {
        "classifier": "onnxruntime",
        "tagger": "onnxruntime",
    }
    classes = httpx.post(f"{url}/v1/classify", json={"texts": TEXTS}, timeout=60).json()["results"]
    entities = httpx.post(f"{url}/v1/entities", json={"texts": TEXTS}, timeout=60).json()["results"]
    classifier = TextClassifier.from_pretrained(out / "classifier", threads=1)
    tagger = EntityTagger.from_pretrained(out / "tagger", threads=1)
    expected = [asdict(r) for r in classifier.predict(TEXTS)]
    assert [r["label"] for r in classes] == [r["label"] for r in expected]
    for got, want in zip(classes, expected, strict=True):
        assert got["score"] == pytest.approx(want["score"], abs=0.02)  # int8 quantizes each call's inputs
    found = [[(e.start, e.end, e.type) for e in row] for row in tagger.predict(TEXTS)]
    assert [[(e["start"], e["end"], e["type"]) for e in row] for row in entities] == found
    assert any(row for row in found[1:])
