"""The model set shipped in zhbert_demo/models: complete, as its manifest describes it, small, and loadable with
plain transformers and with zhbert's APIs."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch
from safetensors import safe_open
from transformers import AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoModelForTokenClassification

from zhbert import EntityTagger, MaskFiller, TextClassifier
from zhbert_demo.manifest import read_manifest
from zhbert_demo.model_set import SHIPPED_MODELS_DIR, DemoModelPaths

pytestmark = pytest.mark.skipif(
    not (SHIPPED_MODELS_DIR / "manifest.json").is_file(), reason="this copy ships no model set (zhbert_demo/models)"
)
MAX_BYTES = 40 * 1024 * 1024


def test_every_file_is_in_the_manifest_with_its_hash_and_the_set_is_small():
    manifest = read_manifest(SHIPPED_MODELS_DIR)
    on_disk = {
        str(p.relative_to(SHIPPED_MODELS_DIR)): p
        for p in SHIPPED_MODELS_DIR.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(manifest["files"]) == set(on_disk)
    for name, path in on_disk.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest["files"][name]["sha256"], name
    assert sum(p.stat().st_size for p in SHIPPED_MODELS_DIR.rglob("*") if p.is_file()) <= MAX_BYTES
    for key in ("command", "data", "models", "metrics"):
        assert manifest[key], key
    assert DemoModelPaths.shipped() is not None


def test_weights_are_bf16_and_load_as_float32_with_plain_transformers():
    paths = DemoModelPaths.shipped()
    assert paths is not None
    for folder, loader in ((paths.mlm, AutoModelForMaskedLM), (paths.classifier, AutoModelForSequenceClassification),
                           (paths.tagger, AutoModelForTokenClassification)):  # fmt: skip
        with safe_open(str(folder / "model.safetensors"), framework="pt") as f:
            dtypes = {f.get_slice(k).get_dtype() for k in f.keys()}  # noqa: SIM118 (not a dict)
        assert "BF16" in dtypes and dtypes <= {"BF16", "BOOL"}  # floats in bf16; the CRF's allowed moves are bool
        model = loader.from_pretrained(str(folder))
        assert model.dtype == torch.float32


def test_the_apis_answer_with_the_shipped_models():
    paths = DemoModelPaths.shipped()
    assert paths is not None
    tagger = EntityTagger.from_pretrained(str(paths.tagger), dtype="float32")
    entities = tagger.predict(["国务院总理李强在北京会见了联合国秘书长古特雷斯。"])[0]
    assert {e.type for e in entities} <= {"PER", "LOC", "ORG"} and entities
    classifier = TextClassifier.from_pretrained(str(paths.classifier), dtype="float32")
    good, bad = classifier.predict(
        ["味道很好，送餐也很快，下次还会再点。", "等了两个小时才送到，饭菜都凉了，太失望了。"]
    )
    assert good.label != bad.label
    filler = MaskFiller.from_pretrained(str(paths.mlm), dtype="float32")
    candidates = filler.predict(["中华人民共和[MASK]"], top_k=5)[0][0]
    assert len(candidates) == 5
    assert json.loads((paths.mlm / "config.json").read_text())["vocab_size"] < 21128  # the pruned vocabulary


def test_plain_transformers_gives_what_the_model_cards_say():
    # The classifier's labels are TextClassifier's; the tagger comes without its CRF, so argmax breaks BIOES, and
    # the token-classification pipeline's grouping cuts an entity at its E- tag (docs/finetuning.md).
    from itertools import pairwise

    from transformers import AutoTokenizer, pipeline

    from zhbert.tagging.viterbi import scheme_constraints

    paths = DemoModelPaths.shipped()
    assert paths is not None
    reviews = [
        "味道很好，送餐也很快，下次还会再点。",
        "等了两个小时才送到，饭菜都凉了，太失望了。",
        "房间一般，价格偏贵。",
    ]
    plain = AutoModelForSequenceClassification.from_pretrained(str(paths.classifier)).eval()
    enc = AutoTokenizer.from_pretrained(str(paths.classifier))(reviews, padding=True, return_tensors="pt")
    with torch.inference_mode():
        labels = [plain.config.id2label[int(i)] for i in plain(**enc).logits.argmax(-1)]
    assert labels == [
        r.label for r in TextClassifier.from_pretrained(str(paths.classifier), dtype="float32").predict(reviews)
    ]

    tagger = AutoModelForTokenClassification.from_pretrained(str(paths.tagger)).eval()
    assert not hasattr(tagger, "crf")
    tokenizer = AutoTokenizer.from_pretrained(str(paths.tagger))
    texts = ["这天晚上，厦门电视台在新闻栏目中报道了此事。", "张三和李四昨天去了上海市人民医院。"]
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        argmax = tagger(**enc).logits.argmax(-1)
    start, moves, end = scheme_constraints(tagger.config.id2label)[1]
    invalid = 0
    for row, mask in zip(argmax, enc["attention_mask"], strict=True):
        ids = row[1 : int(mask.sum()) - 1].tolist()
        invalid += int(not start[ids[0]]) + sum(not moves[a, b] for a, b in pairwise(ids)) + int(not end[ids[-1]])
    assert invalid > 0
    ours = EntityTagger.from_pretrained(str(paths.tagger), dtype="float32").predict(texts)
    assert [[(e.text, e.type) for e in row] for row in ours] == [[("厦门电视台", "ORG")],
        [("张三和", "PER"), ("李四", "PER"), ("上海市人民医院", "ORG")]]  # fmt: skip

    pipe = pipeline("token-classification", model=tagger, tokenizer=tokenizer, aggregation_strategy="simple")
    tags = ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "E-ORG"]
    gold = [
        {"entity": t, "score": 1.0, "word": c, "start": i, "end": i + 1}
        for i, (c, t) in enumerate(zip("厦门电视台", tags, strict=True))
    ]
    assert [(g["word"], g["entity_group"]) for g in pipe.group_entities(gold)] == [
        ("厦 门 电 视", "ORG"),
        ("台", "ORG"),
    ]
