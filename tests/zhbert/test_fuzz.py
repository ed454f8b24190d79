"""Every text entry point against 10,000+ generated strings: lone surrogates, control characters, combining marks,
ZWJ emoji, right-to-left marks, long runs and full-width forms. Each call returns a valid result or raises a
``ZhbertError`` (a clear message); nothing crashes, and every entity indexes the caller's string."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import torch
from transformers import AutoModelForTokenClassification

from zhbert import EntityTagger, MaskFiller, TextClassifier
from zhbert.data import read_cls_file, read_ner_file
from zhbert.errors import ZhbertError
from zhbert.mlm import WholeWordMaskCollator
from zhbert.text import CharSegmenter, JiebaSegmenter, LtpSegmenter, wwm_features

N_STRINGS = 10_000
POOLS = {
    "cjk": "中华人民共和国刑法高勇董事长北京大学非法吸收公众存款罪鑫彷",
    "ascii": "abcXYZ0129 .,;:!?-_'\"()[]{}<>/\\",
    "full_width": "ＡＢＣａｂｃ０１２，。！？、；：（）　",
    "controls": "".join(map(chr, [0, 1, 7, 8, 11, 12, 27, 127, 0x85, 0x9F])) + "\t\n\r",
    "combining": "\u0301\u0308\u0327\u20dd\u3099",
    "emoji": ["👨\u200d👩\u200d👧", "🏳\ufe0f\u200d🌈", "👍🏽", "🇨🇳", "😀"],
    "rtl": "\u200f\u202e\u202c\u0627\u05d0\u200e",
    "surrogates": "\ud800\udbff\udc00\udfff",
    "odd": "\u00ad\u200b\u2028\u2029\ufeff\ufffd\U00020000\U0002a6d6",
}


def generate(n: int, seed: int = 0) -> list[str]:
    """``n`` strings mixing the pools: mostly short, some long runs of one character or one pool."""
    rng = random.Random(seed)
    names = list(POOLS)
    out = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.03:  # a long run
            out.append(rng.choice(POOLS["cjk"] + POOLS["full_width"]) * rng.randint(600, 3000))
        elif kind < 0.05:
            out.append("")
        else:
            pieces = []
            for _ in range(rng.randint(1, 24)):
                pool = POOLS[rng.choice(names if i % 4 else ["cjk", "ascii", "combining", "emoji"])]
                pieces.append(rng.choice(pool))
            out.append("".join(pieces))
    return out


STRINGS = generate(N_STRINGS)


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def each(call: Callable[[list[str]], Any], texts: list[str], batch: int = 64) -> list[tuple[list[str], Any]]:
    """Call on batches; a batch with a lone surrogate must raise a ZhbertError, others must return."""
    results = []
    for lo in range(0, len(texts), batch):
        chunk = texts[lo : lo + batch]
        if all(map(encodable, chunk)):
            results.append((chunk, call(chunk)))
        else:
            with pytest.raises(ZhbertError, match="lone surrogate"):
                call(chunk)
            clean = [t for t in chunk if encodable(t)]
            if clean:
                results.append((clean, call(clean)))
    return results


def test_there_are_enough_strings():
    assert len(STRINGS) >= 10_000 and sum(not encodable(t) for t in STRINGS) > 100


def test_segmenters_keep_every_character(ltp_model_dir):
    for segmenter in (JiebaSegmenter(), CharSegmenter(), LtpSegmenter(ltp_model_dir)):
        texts = STRINGS if not isinstance(segmenter, LtpSegmenter) else STRINGS[:2000]
        for chunk, words in each(segmenter.cut, texts, batch=256):
            assert ["".join(w) for w in words] == chunk


def test_word_ids_and_the_collator(tokenizer):
    collator = WholeWordMaskCollator(tokenizer, seed=0, max_ngram=3)
    segmenter = JiebaSegmenter()

    def features_and_batch(texts: list[str]) -> Any:
        features = wwm_features(texts, tokenizer, segmenter, max_length=64)
        return features, collator(features)

    for chunk, (features, batch) in each(features_and_batch, STRINGS[:4000]):
        assert len(features) == len(chunk) == batch["input_ids"].shape[0]
        masked = batch["labels"] != -100
        assert not bool(torch.isin(batch["labels"][masked], torch.tensor(tokenizer.all_special_ids)).any())


def scheme_taggers(tiny_mlm_dir: Any, tokenizer: Any) -> list[EntityTagger]:
    taggers = []
    for labels in (
        ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
        ["O", "B-PER", "I-PER", "E-PER", "S-PER"],
        ["O", "B-PER", "M-PER", "E-PER", "S-PER"],
    ):
        torch.manual_seed(0)
        model = AutoModelForTokenClassification.from_pretrained(
            tiny_mlm_dir, num_labels=len(labels), id2label=dict(enumerate(labels))
        )
        with torch.no_grad():
            model.classifier.weight.normal_(0, 2.0)  # a random head that proposes many entities
        taggers.append(EntityTagger(model, tokenizer, device="cpu"))
    return taggers


def test_taggers_of_every_scheme_give_valid_spans(tiny_mlm_dir, tokenizer):
    for tagger in scheme_taggers(tiny_mlm_dir, tokenizer):
        for chunk, entities in each(tagger.predict, [t for t in STRINGS[:800] if t.strip()]):  # "" is refused
            for text, found in zip(chunk, entities, strict=True):
                ends = 0
                for e in found:
                    assert text[e.start : e.end] == e.text and e.start >= ends and e.end > e.start
                    assert 0.0 <= e.score <= 1.0
                    ends = e.end


def test_classifier_and_filler(tiny_mlm_dir, tiny_classifier_dir):
    classifier = TextClassifier.from_pretrained(tiny_classifier_dir, device="cpu")
    for chunk, results in each(classifier.predict, [t for t in STRINGS[:1500] if t.strip()]):  # "" is refused
        assert len(results) == len(chunk) and all(abs(sum(r.scores.values()) - 1) < 1e-4 for r in results)
    filler = MaskFiller.from_pretrained(tiny_mlm_dir, device="cpu")
    for text in STRINGS[:300]:
        masked = text[: len(text) // 2] + "[MASK]" + text[len(text) // 2 :][:200]
        try:
            result = filler.predict([masked], top_k=3)[0]
        except ZhbertError:
            continue  # a lone surrogate, or the [MASK] past the window: both said so
        assert all(c.text.count("[MASK]") == masked.count("[MASK]") - 1 for per in result for c in per)


def test_demo_handlers(handlers):
    from zhbert_demo.inputs import InputError

    calls = [
        handlers.classify,
        handlers.ner,
        lambda t: handlers.mask(t, "jieba", 0),
        lambda t: handlers.fill_mask(t + "[MASK]", 3),
    ]
    for i, text in enumerate(STRINGS[:600]):
        with contextlib.suppress(InputError):  # a message for the user; anything else fails the test
            calls[i % len(calls)](text)


def test_file_readers(tmp_path):
    rng = random.Random(1)
    accepted = Counter()
    for i in range(0, 1200, 3):  # three texts a file, so that most files hold no text a reader must refuse
        texts = [t.replace("\n", " ").replace("\r", " ") for t in STRINGS[i : i + 3]]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([["label", "text"], *[[rng.choice("01"), t] for t in texts]])
        conll = (
            "".join(
                f"{c} {rng.choice(['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER'])}\n"
                for t in texts
                for c in t[:30]
                if c.strip()
            )
            + "\n"
        )
        files = {
            "a.csv": buffer.getvalue(),
            "a.jsonl": "".join(json.dumps({"text": t, "label": "1"}) + "\n" for t in texts),
            "a.json": json.dumps([{"sentence": t, "label": 1} for t in texts]),
            "a.tsv": "label\ttext\n" + "".join(f"1\t{t.replace(chr(9), ' ')}\n" for t in texts),
            "n.bmes": conll,
            "n.json": "".join(json.dumps({"text": t, "label": {}}) + "\n" for t in texts),
        }
        kept = [t for t in texts if t.strip()]  # a row whose text is blank is left out, and counted
        for name, content in files.items():
            path = tmp_path / name
            path.write_bytes(content.encode("utf-8", errors="surrogatepass"))
            try:
                if name.startswith("a."):
                    data = read_cls_file(path)
                    written = [t.replace("\t", " ") for t in kept] if name == "a.tsv" else kept
                    if name.endswith((".json", ".jsonl")):  # JSON joins an escaped surrogate pair into one character
                        written = [json.loads(json.dumps(t)) for t in written]
                    assert [e.text for e in data.examples] == written, name
                    assert data.skipped_empty == len(texts) - len(kept), name
                elif name == "n.json":
                    examples, _ = read_ner_file(path, fix_tags=True)
                    # a span file keeps even an empty text; JSON joins an escaped surrogate pair into one character
                    assert [e.text for e in examples] == [json.loads(json.dumps(t)) for t in texts], name
                else:
                    examples, _ = read_ner_file(path, fix_tags=True)
                    chars = "".join(c for t in texts for c in t[:30] if c.strip())
                    assert "".join(e.text for e in examples) == chars, name
                accepted[name] += 1
            except ZhbertError:
                pass  # refused with a message: allowed; a row that is read must keep its text
    assert min(accepted[name] for name in files) >= 30, accepted  # of 400 files of each kind (43-48 read here)
