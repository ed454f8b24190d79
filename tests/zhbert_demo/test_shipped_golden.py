"""Golden outputs of the shipped models on real sentences: exact entities with their offsets, exact labels, the
top fill-mask candidates, and scores to two decimals, in float32 and in bf16. A change anywhere between the text
and the result (tokenizer, windows, decoding, precision) that moves an answer fails here."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from zhbert import EntityTagger, MaskFiller, TextClassifier

MODELS = REPO / "zhbert_demo" / "models"
pytestmark = pytest.mark.skipif(
    not (MODELS / "manifest.json").is_file(), reason="this copy ships no model set (zhbert_demo/models)"
)

# text -> (entity text, type, start, end, score) for each entity, in order
ENTITIES = {
    "国务院总理李强在北京会见了联合国秘书长古特雷斯。": [
        ("国务院", "ORG", 0, 3, 0.73), ("李强", "PER", 5, 7, 0.87), ("北京", "LOC", 8, 10, 0.60),
        ("联合国", "ORG", 13, 16, 0.79), ("古特雷斯", "PER", 19, 23, 0.50),
    ],
    "新华社记者从中国科学院获悉，上海天文台的研究人员发现了一颗新的脉冲星。": [
        ("新华社", "ORG", 0, 3, 0.74), ("中国科学院", "ORG", 6, 11, 0.59), ("上海天文台", "ORG", 14, 19, 0.47),
    ],
    "张伟毕业于清华大学，后来在深圳的华为公司工作了十年。": [
        ("张伟", "PER", 0, 2, 0.80), ("清华大学", "ORG", 5, 9, 0.69), ("深圳", "LOC", 13, 15, 0.46),
        ("华为公司", "ORG", 16, 20, 0.33),
    ],
    "最高人民法院和最高人民检察院联合发布了关于办理盗窃刑事案件的司法解释。": [
        ("最高人民法院", "ORG", 0, 6, 0.52), ("最高人民检察院", "ORG", 7, 14, 0.46),
    ],
    "李白出生于碎叶城，一生游历了长江和黄河流域的许多地方。": [
        ("李白", "PER", 0, 2, 0.61), ("碎叶城", "LOC", 5, 8, 0.41), ("长江", "LOC", 14, 16, 0.68),
        ("黄河", "LOC", 17, 19, 0.72),
    ],
    "北京会": [("北京", "LOC", 0, 2, 0.46)],  # not 北京会 as an ORG
}  # fmt: skip

LABELS = {
    "味道很好，送餐也很快，下次还会再点。": ("正面", 0.97),
    "等了两个小时才送到，饭菜都凉了，太失望了。": ("负面", 0.99),
    "房间干净，服务员态度也很好，早餐种类丰富。": ("正面", 0.98),
    "酒店隔音太差，晚上根本睡不着，不会再来了。": ("负面", 0.99),
    "这本书印刷清晰，内容也很实用，推荐购买。": ("正面", 0.86),
    "手机用了三天就坏了，客服也不理人。": ("负面", 0.98),
}

FILLS = {
    "中华人民共和[MASK]": ["国", "。", "本"],
    "犯罪嫌疑人被公安机关依法[MASK]留。": ["拘", "扣", "保"],
}


@pytest.mark.parametrize("dtype", ["float32", "bf16"])
def test_tagger_finds_the_same_entities(dtype):
    tagger = EntityTagger.from_pretrained(str(MODELS / "tagger"), dtype=dtype)
    for text, entities in zip(ENTITIES, tagger.predict(list(ENTITIES)), strict=True):
        assert [(e.text, e.type, e.start, e.end) for e in entities] == [x[:4] for x in ENTITIES[text]], text
        assert [e.score for e in entities] == pytest.approx([x[4] for x in ENTITIES[text]], abs=0.01), text
        assert all(text[e.start : e.end] == e.text for e in entities)
    with pytest.raises(ValueError, match=r"texts\[0\] is empty: there is nothing to predict"):
        tagger.predict([""])  # one rule for every predictor: an empty text is refused, not answered with []


@pytest.mark.parametrize("dtype", ["float32", "bf16"])
def test_classifier_gives_the_same_labels(dtype):
    classifier = TextClassifier.from_pretrained(str(MODELS / "classifier"), dtype=dtype)
    results = classifier.predict(list(LABELS))
    assert [r.label for r in results] == [label for label, _ in LABELS.values()]
    assert [r.score for r in results] == pytest.approx([score for _, score in LABELS.values()], abs=0.01)


@pytest.mark.parametrize("dtype", ["float32", "bf16"])
def test_mask_filler_gives_the_same_candidates(dtype):
    filler = MaskFiller.from_pretrained(str(MODELS / "mlm"), dtype=dtype)
    for text, tokens in FILLS.items():
        (candidates,) = filler.predict([text], top_k=3)[0]
        assert [c.token for c in candidates] == tokens, text
