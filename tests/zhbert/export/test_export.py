"""``export_model`` on real models and real ONNX Runtime: the directory it writes, its self-check, int8 and the
refusals that leave nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from zhbert.errors import DataError, UsageError
from zhbert.export import SIDECAR, export_model, read_sidecar
from zhbert.export import exporter as exporter_module

SHIPPED = Path(__file__).resolve().parents[3] / "zhbert_demo" / "models"


@pytest.fixture(scope="module")
def tagger_export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exports") / "tagger"
    export_model(SHIPPED / "tagger", out, quantize="int8", threads=1)
    return out


@pytest.fixture(scope="module")
def crf_tagger_dir(tmp_path_factory, tiny_tagger_dir, tokenizer) -> Path:
    """The tiny tagger with a CRF of random, non-trivial scores, saved as zhbert train saves one."""
    import torch
    from transformers import AutoModelForTokenClassification

    from zhbert.models import add_crf

    torch.manual_seed(1)
    model = add_crf(AutoModelForTokenClassification.from_pretrained(tiny_tagger_dir))
    with torch.no_grad():
        for p in (model.crf.start, model.crf.transitions, model.crf.end):
            p.normal_(0, 2.0)
    path = tmp_path_factory.mktemp("crf-tagger")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def no_partial_dirs(parent: Path) -> bool:
    return not any(p.name.startswith(".") and ".partial-" in p.name for p in parent.iterdir())


def test_a_shipped_tagger_exports_with_its_crf_and_scheme_beside_the_graph(tagger_export):
    info = read_sidecar(tagger_export)
    assert info["kind"] == "token-classification" and info["crf"] is True and info["label_scheme"] == "BIOES"
    assert info["graphs"] == {"fp32": "model.onnx", "int8": "model.int8.onnx"}
    assert info["max_length"] == 128 and info["opset"] == 17
    check = info["verification"]["fp32_vs_pytorch"]
    assert check["max_abs_diff"] <= exporter_module.FP32_MAX_ABS_DIFF
    assert check["label_agreement"] == check["entity_agreement"] == 1.0
    assert info["verification"]["int8_vs_fp32"]["label_agreement"] >= exporter_module.INT8_MIN_AGREEMENT
    names = {p.name for p in tagger_export.iterdir()}
    assert {"config.json", "tokenizer.json", "crf_transitions.npy", "allowed_transitions.npy", SIDECAR} <= names
    config = json.loads((tagger_export / "config.json").read_text(encoding="utf-8"))
    assert config["id2label"]["1"] == "B-LOC"
    assert no_partial_dirs(tagger_export.parent)


def test_the_saved_matrices_are_the_crf_of_the_checkpoint(tagger_export):
    from zhbert.models import load_token_classifier

    crf = load_token_classifier(SHIPPED / "tagger").crf
    np.testing.assert_array_equal(np.load(tagger_export / "crf_transitions.npy"), crf.transitions.detach().numpy())
    np.testing.assert_array_equal(np.load(tagger_export / "allowed_end.npy"), crf.end_allowed.numpy())


def test_a_tiny_crf_tagger_and_an_mlm_export_and_verify(crf_tagger_dir, tiny_mlm_dir, tmp_path):
    tagged = export_model(crf_tagger_dir, tmp_path / "crf", texts=["张伟在北京大学工作。", "你好"])
    assert tagged.info["crf"] is True and tagged.info["verification"]["sample_texts"] == 2
    filled = export_model(tiny_mlm_dir, tmp_path / "mlm")
    assert filled.kind == "masked-lm" and filled.info["outputs"]["logits"]["shape"] == ["batch", "length", "vocab"]
    assert filled.info["verification"]["fp32_vs_pytorch"]["labels_compared"] > 10


def test_a_classifier_exports_its_last_layer_at_cls_only(tiny_classifier_dir, tmp_path):
    result = export_model(tiny_classifier_dir, tmp_path / "cls")
    assert "[CLS] only" in result.info["exporter"]
    assert result.info["verification"]["fp32_vs_pytorch"]["label_agreement"] == 1.0


def test_a_non_empty_out_is_refused_unless_overwriting(tiny_classifier_dir, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(UsageError, match="taken: not empty; choose a new directory or allow overwriting"):
        export_model(tiny_classifier_dir, out)
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    export_model(tiny_classifier_dir, out, overwrite=True)
    assert (out / "model.onnx").is_file() and not (out / "mine.txt").exists()


def test_int8_without_int8_instructions_is_refused_with_what_was_measured(tiny_classifier_dir, tmp_path):
    out = tmp_path / "slow"
    with pytest.raises(UsageError, match=r"none of avx512_vnni.*int8 took [\d.]+ ms against float32's [\d.]+ ms"):
        export_model(tiny_classifier_dir, out, quantize="int8", cpu_flags={"sse4_2", "avx2"})
    assert not out.exists() and no_partial_dirs(tmp_path)
    allowed = export_model(tiny_classifier_dir, out, quantize="int8", cpu_flags=set(), allow_slow_int8=True)
    assert allowed.info["quantization"]["cpu_int8_instructions"] == []
    assert "measured_without_int8_instructions" in allowed.info["quantization"]
    assert (out / "model.int8.onnx").is_file()


def test_a_graph_that_disagrees_writes_nothing(tiny_classifier_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(exporter_module, "FP32_MAX_ABS_DIFF", -1.0)  # no graph can be this close
    with pytest.raises(DataError, match=r"the ONNX graph and the PyTorch model disagree.*nothing was written"):
        export_model(tiny_classifier_dir, tmp_path / "out")
    assert not (tmp_path / "out").exists() and no_partial_dirs(tmp_path)


def test_what_zhbert_does_not_export_is_named(tiny_config_dir, tmp_path):
    from transformers import BertConfig, BertModel

    bare = tmp_path / "bare"
    BertModel(BertConfig.from_pretrained(tiny_config_dir)).save_pretrained(bare)
    with pytest.raises(UsageError, match="BertModel is not a kind zhbert exports"):
        export_model(bare, tmp_path / "out")
    with pytest.raises(UsageError, match="quantize must be None or 'int8', got 'int4'"):
        export_model(bare, tmp_path / "out", quantize="int4")
    assert not (tmp_path / "out").exists()
