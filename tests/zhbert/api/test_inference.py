from __future__ import annotations

import dataclasses
import random

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

from zhbert import Classification, Entity, EntityTagger, TextClassifier
from zhbert.api import length_batches
from zhbert.models import add_crf, load_token_classifier
from zhbert.tagging import bioes_labels
from zhbert.text import word_pieces

LABELS = bioes_labels(["NAME", "ORG", "TITLE"])


@pytest.fixture(scope="module")
def random_tagger(tiny_mlm_dir, tokenizer):
    torch.manual_seed(1)
    model = AutoModelForTokenClassification.from_pretrained(
        tiny_mlm_dir,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={v: i for i, v in enumerate(LABELS)},
    )
    # Large random head weights: a random model that still proposes many entities of every shape.
    with torch.no_grad():
        model.classifier.weight.normal_(0, 2.0)
    return EntityTagger(model, tokenizer, device="cpu")


ALPHABETS = [
    "中华人民共和国刑法高勇董事长北京大学",
    "abcdefghijklmnopqrstuvwxyzABCDEFG",
    "0123456789０１２３４５６７８９",
    "ＡＢＣａｂｃ，。！？、；：（）",
    " \t\n\r\u3000",
    "😀🎉👍🏻🇨🇳",
    "\x00\x01\x1f\x7f\u200b\u200d\ufeff",
    "éüñçåø\u0301\u0308",
    "龘靐齉䶮𠀀𪚥",
    "-_/\\.,;:'\"()[]{}<>@#$%^&*+=~`|",
]


def random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        pools = rng.sample(ALPHABETS, rng.randint(1, 4))
        chars = "".join(pools)
        texts.append("".join(rng.choice(chars) for _ in range(rng.randint(0, 60))))
    return texts


def check_entities(text: str, entities: list[Entity]) -> None:
    previous_end = 0
    for e in entities:
        assert e.text == text[e.start : e.end]
        assert 0 <= e.start < e.end <= len(text)
        assert e.start >= previous_end, "entities never overlap"
        assert e.type in {"NAME", "ORG", "TITLE"} and 0.0 <= e.score <= 1.0
        previous_end = e.end


def test_ten_thousand_random_strings(random_tagger):
    texts = [t for t in random_texts(10_000, seed=0) if t.strip()]  # an empty text is refused (its own test)
    results = random_tagger.predict(texts, batch_size=128)
    assert len(results) == len(texts)
    for text, entities in zip(texts, results, strict=True):
        check_entities(text, entities)
    assert sum(len(r) for r in results) > 5_000  # the check above really ran on entities


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80), max_size=5))
def test_property_any_unicode(random_tagger, texts):
    texts = [t for t in texts if t.strip()]  # an empty or whitespace-only text is refused (its own test)
    for text, entities in zip(texts, random_tagger.predict(texts), strict=True):
        check_entities(text, entities)


def test_long_texts_use_overlapping_windows(random_tagger):
    text = "高勇，男，中国国籍，无境外居留权。曾任北京大学教授、董事长。" * 40  # ~1,200 characters
    whole = random_tagger.predict([text])[0]
    check_entities(text, whole)
    small = EntityTagger(random_tagger.model, random_tagger.tokenizer, device="cpu")
    small.max_length = 52  # 50 text tokens, [CLS] and [SEP]
    assert small._windows(120) == [0, 25, 50, 70]
    stitched = small.predict([text])[0]
    check_entities(text, stitched)
    # Tokens deep inside a window get the same scores as in the one-window pass, so most entities agree.
    with pytest.deprecated_call(match="use max_length"):
        assert small.window == 50
    assert len({(e.start, e.end, e.type) for e in stitched} & {(e.start, e.end, e.type) for e in whole}) > 0.5 * len(
        whole
    )


def test_results_are_frozen_and_inputs_checked(random_tagger):
    entity = Entity("高勇", "NAME", 0, 2, 0.9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entity.start = 1  # type: ignore[misc]
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        random_tagger.predict(["好", 3])
    with pytest.raises(TypeError, match="not a single string"):
        random_tagger.predict("高勇")
    assert random_tagger.predict([]) == []


def test_decoding_in_length_groups_gives_the_paths_of_one_call(random_tagger):
    texts = [t or "好" for t in random_texts(150, seed=4)] + ["高勇，男，中国国籍，无境外居留权。" * 8]
    pieces = word_pieces(random_tagger.tokenizer, texts)
    scores = [s[p.first] for s, p in zip(random_tagger.token_scores(pieces), pieces, strict=True)]
    whole = random_tagger._decode_group(scores)
    assert len({len(s) for s in scores}) > 10 and len(whole) == len(texts)
    for rows in (1, 7, 64):
        assert random_tagger._decode(scores, rows=rows) == whole
    for s, (path, chosen) in zip(scores, whole, strict=True):  # each word's probability of its decoded label
        assert chosen == pytest.approx(s.softmax(-1)[range(len(path)), path].tolist(), abs=1e-6)


def test_crf_checkpoint_round_trip(tiny_mlm_dir, tokenizer, tmp_path):
    model = AutoModelForTokenClassification.from_pretrained(
        tiny_mlm_dir,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={v: i for i, v in enumerate(LABELS)},
    )
    add_crf(model)
    with torch.no_grad():
        model.crf.transitions.uniform_(-1, 1)
    model.save_pretrained(tmp_path / "m")
    tokenizer.save_pretrained(tmp_path / "m")
    loaded = load_token_classifier(tmp_path / "m")
    assert torch.equal(loaded.crf.transitions, model.crf.transitions)
    plain = AutoModelForTokenClassification.from_pretrained(tmp_path / "m")  # plain transformers loads it too
    assert type(plain).__name__ == "BertForTokenClassification" and not hasattr(plain, "crf")
    tagger = EntityTagger.from_pretrained(tmp_path / "m", device="cpu")
    assert tagger.crf is not None
    text = "高勇，男，中国国籍。"
    check_entities(text, tagger.predict([text])[0])


def test_crf_training_loss_matches_the_crf(tiny_mlm_dir, tokenizer):
    model = add_crf(
        AutoModelForTokenClassification.from_pretrained(
            tiny_mlm_dir,
            num_labels=len(LABELS),
            id2label=dict(enumerate(LABELS)),
            label2id={v: i for i, v in enumerate(LABELS)},
        )
    ).eval()
    input_ids = torch.tensor([[101, 7770, 1235, 8024, 102, 0]])
    labels = torch.tensor([[-100, 1, 3, 0, -100, -100]])  # B-NAME E-NAME O
    out = model(input_ids=input_ids, attention_mask=(input_ids != 0).long(), labels=labels)
    emissions = out.logits[:, 1:4]
    expected = model.crf.neg_log_likelihood(emissions, torch.tensor([[1, 3, 0]]), torch.ones(1, 3, dtype=torch.bool))
    assert torch.allclose(out.loss, expected)


@pytest.fixture(scope="module")
def classifier(tiny_mlm_dir, tokenizer):
    torch.manual_seed(2)
    model = AutoModelForSequenceClassification.from_pretrained(
        tiny_mlm_dir, num_labels=3, id2label={0: "neg", 1: "neu", 2: "pos"}, label2id={"neg": 0, "neu": 1, "pos": 2}
    )
    return TextClassifier(model, tokenizer, device="cpu")


def test_classifier_batches_do_not_change_answers(classifier):
    texts = [*(t for t in random_texts(64, seed=3) if t.strip()), "房间很大，床很舒服。"]  # an empty text is refused
    batched = classifier.predict(texts, batch_size=16)
    one_by_one = [classifier.predict([t])[0] for t in texts]
    for a, b in zip(batched, one_by_one, strict=True):
        assert isinstance(a, Classification) and a.label == b.label
        assert abs(sum(a.scores.values()) - 1) < 1e-5 and set(a.scores) == {"neg", "neu", "pos"}
        assert all(abs(a.scores[k] - b.scores[k]) < 1e-4 for k in a.scores)
        assert a.score == a.scores[a.label] == max(a.scores.values())


def test_classifier_pairs_and_errors(classifier):
    out = classifier.predict(["酒店不错"], text_pairs=["位置好"])
    assert len(out) == 1
    with pytest.raises(ValueError, match="text_pairs has 2 items but texts has 1"):
        classifier.predict(["a"], text_pairs=["b", "c"])
    with pytest.raises(ValueError, match="batch_size"):
        classifier.predict(["a"], batch_size=0)


@given(st.lists(st.integers(1, 300), max_size=60), st.integers(1, 40), st.one_of(st.none(), st.integers(1, 2000)))
def test_length_batches(lengths, batch_size, tokens):
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches = length_batches(order, lengths, batch_size, tokens)
    assert [i for b in batches for i in b] == order
    for k, b in enumerate(batches):
        following = batches[k + 1] if k + 1 < len(batches) else None
        assert 1 <= len(b) <= batch_size
        padded = len(b) * max(lengths[i] for i in b)
        assert tokens is None or len(b) == 1 or padded <= tokens
        if following is not None and len(b) < batch_size:  # a batch closes only when the next item would not fit
            assert tokens is not None and (len(b) + 1) * lengths[following[0]] > tokens
