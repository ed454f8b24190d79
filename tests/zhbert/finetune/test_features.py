from __future__ import annotations

from zhbert.finetune import ner_features, word_spans
from zhbert.tagging import bioes_labels
from zhbert.text import word_pieces

LABELS = bioes_labels(["NAME", "PRO"])
LABEL2ID = {label: i for i, label in enumerate(LABELS)}


def decoded(tokenizer, feature):
    tokens = tokenizer.convert_ids_to_tokens(feature["input_ids"])
    return [(t, LABELS[label] if label != -100 else None) for t, label in zip(tokens, feature["labels"], strict=True)]


def test_pieces_of_a_word_take_the_label_of_the_first(tokenizer):
    text = "高勇用iPhone15手机"
    (feature,) = ner_features([text], [[(0, 2, "NAME"), (3, 11, "PRO")]], tokenizer, LABEL2ID)
    assert decoded(tokenizer, feature) == [
        ("[CLS]", None), ("高", "B-NAME"), ("勇", "E-NAME"), ("用", "O"),
        ("iphone", "S-PRO"), ("##15", None),  # one word of two pieces: a single-word entity
        ("手", "O"), ("机", "O"), ("[SEP]", None),
    ]  # fmt: skip


def test_word_spans_map_characters_to_words(tokenizer):
    (p,) = word_pieces(tokenizer, ["在 New York 工作"])
    # words: 在 / New / York / 工 / 作 ; "New York" covers two words and the space between them
    assert word_spans([(2, 10, "LOC")], p.word_start, p.word_end) == [(1, 2, "LOC")]
    assert word_spans([(1, 2, "X")], p.word_start, p.word_end) == []  # only a space: no word
    assert word_spans([(2, 5, "A"), (3, 4, "B")], p.word_start, p.word_end) == [(1, 1, "A")]


def test_long_sentences_are_split_outside_entities(tokenizer):
    sentence = "高勇担任董事长。"
    text = sentence * 40  # 320 characters
    spans = [(i * 8, i * 8 + 2, "NAME") for i in range(40)]
    features = ner_features([text], [spans], tokenizer, LABEL2ID, max_length=64)
    assert len(features) > 1 and all(len(f["input_ids"]) <= 64 for f in features)
    tokens = [t for f in features for t in f["input_ids"][1:-1]]
    assert tokens == tokenizer(text, add_special_tokens=False)["input_ids"]  # nothing lost
    for f in features:
        labels = [LABELS[x] for x in f["labels"][1:-1]]
        assert labels[0] in ("O", "B-NAME") and labels[-1] in ("O", "E-NAME")  # no entity cut in two
        # each piece ends after punctuation
        assert tokenizer.convert_ids_to_tokens(f["input_ids"][-2]) == "。"


def test_empty_text_gives_no_feature(tokenizer):
    assert ner_features(["", "   "], [[], []], tokenizer, LABEL2ID) == []
