"""The zhbert web demo: text classification, entity recognition, whole-word masking, fill-mask and attention
maps, in Chinese.

    zhbert demo                      # the shipped model set (zhbert_demo/models), or one built on first run
    python -m zhbert_demo --classifier runs/senti --tagger runs/resume-ner --mlm runs/law-bert --port 7860

``build_demo(...)`` returns the ``gr.Blocks`` app; importing this module loads no model. Each tab calls one
handler of ``DemoHandlers``, also served as a named API endpoint: ``/classify``, ``/ner``, ``/mask``,
``/fill_mask``, ``/attention``.
"""

from __future__ import annotations

import argparse
import math
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zhbert.errors import MissingExtraError, UsageError

__all__ = ["DemoHandlers", "InputError", "build_demo", "check_input", "describe_models", "load_handlers", "main"]

DEFAULT_MAX_CHARS = 512
MAX_SEED = 2**32 - 1
MAX_REQUEST_BYTES = 64 * 1024  # a 512-character text is under 2 KB of JSON; nothing needs more
QUEUE_SIZE = 32  # requests waiting; more get Gradio's "queue is full" message

CLASSIFY_EXAMPLES = ["味道很好，送餐也很快，下次还会再点。", "等了两个小时才送到，饭菜都凉了，太失望了。"]
NER_EXAMPLES = [
    "国务院总理李强在北京会见了联合国秘书长古特雷斯。",
    "中国科学院院士王选出生于上海，曾任北京大学教授。",
]
MASK_EXAMPLES = [
    "中华人民共和国刑法规定，非法吸收公众存款罪的缓刑考验期限不得少于一年。",
    "当事人在诉讼时效期间内提出请求，人民法院应当依法受理。",
    "犯罪嫌疑人认罪认罚的，值班律师应当在场，并在具结书上签字。",
]
FILL_EXAMPLES = ["中华人民共和国[MASK]法", "当事人应当遵循诚实[MASK]用原则。"]
ATTENTION_EXAMPLES = ["国务院总理李强在北京会见了联合国秘书长古特雷斯。", "味道很好，送餐也很快，下次还会再点。"]
# The models the attention tab offers: API key -> (the DemoHandlers field, the name on the page).
ATTENTION_MODELS = {
    "mlm": ("filler", "掩码语言模型"),
    "classifier": ("classifier", "情感分类"),
    "tagger": ("tagger", "实体识别"),
}
MEAN_HEAD = "mean"
MAX_HEATMAP_TOKENS = 128  # rows and columns drawn; /attention returns the whole matrix


class InputError(UsageError):
    """Input the demo cannot take; the message says why, in Chinese and English."""


def whole_number(value: Any, low: int, high: int, label: str, name: str) -> int:
    """``value`` (a number field: maybe empty, NaN, infinite or fractional) as an int in ``[low, high]``."""
    problem = f"{label}应为 {low} 到 {high} 之间的整数。({name} must be a whole number from {low} to {high}.)"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(problem)
    if value != int(value) or not low <= int(value) <= high:
        raise InputError(problem)
    return int(value)


def check_input(text: Any, max_chars: int) -> str:
    """Return ``text`` if the demo can analyse it, else raise ``InputError`` with a message for the user."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("请输入文本。(The text is empty.)")
    if len(text) > max_chars:
        raise InputError(
            f"文本过长：{len(text)} 个字符，上限为 {max_chars}。(The text is over {max_chars} characters.)"
        )
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        if (category == "Cc" and ch not in "\n\r\t") or category == "Cs":
            raise InputError(
                f"文本第 {i + 1} 个字符 U+{ord(ch):04X} 是控制字符或无效字符，请删除后再试。"
                f"(Character {i + 1}, U+{ord(ch):04X}, is a control or invalid character.)"
            )
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise InputError(
            "文本中没有汉字、字母或数字（只有标点、符号或表情）。"
            "(The text has no Chinese characters, letters or digits: only punctuation, symbols or emoji.)"
        )
    return text


@dataclass
class DemoHandlers:
    """The demo's functions over loaded models; each validates its input and returns what the UI shows."""

    classifier: Any  # zhbert TextClassifier
    tagger: Any  # zhbert EntityTagger
    filler: Any  # zhbert MaskFiller
    segmenters: dict[str, Any]  # name -> zhbert Segmenter
    default_segmenter: str = "jieba"
    max_chars: int = DEFAULT_MAX_CHARS
    provenance: str = ""  # Markdown: where the models came from (from a model set's manifest)
    terms: frozenset[str] = frozenset()  # discovered terms (``zhbert terms``) for the 全词掩码 tab's option
    term_segmenters: dict[str, Any] = field(default_factory=dict)  # name -> the segmenter with the terms added

    def classify(self, text: str) -> dict[str, float]:
        """Label -> probability (the values sum to 1)."""
        result = self.classifier.predict([check_input(text, self.max_chars)])[0]
        return dict(result.scores)

    def ner(self, text: str) -> tuple[list[tuple[str, str | None]], list[list[Any]]]:
        """The text cut into (piece, entity type or None) for highlighting, and one row per entity."""
        text = check_input(text, self.max_chars)
        entities = self.tagger.predict([text])[0]
        pieces: list[tuple[str, str | None]] = []
        at = 0
        for e in entities:
            if e.start > at:
                pieces.append((text[at : e.start], None))
            pieces.append((text[e.start : e.end], e.type))
            at = e.end
        if at < len(text):
            pieces.append((text[at:], None))
        rows = [[e.text, e.type, e.start, e.end, round(e.score, 4)] for e in entities]
        return pieces, rows

    def mask(
        self, text: str, segmenter: str | None = None, seed: float = 0, terms: bool | None = False
    ) -> tuple[str, list, str, list[list[Any]]]:
        """Segment, draw one whole-word masking with ``seed``, and show it word by word; with ``terms``, the
        discovered terms are added to the segmenter's dictionary first.

        Returns the segmentation (words joined by " / ", user-dictionary words in 〔〕, discovered terms in 【】),
        the text as (word, "掩码" | "用户词典" | "发现的术语" | None) pieces, the model's masked input, and one row
        per word.
        """
        from zhbert.mlm import mask_preview

        text = check_input(text, self.max_chars)
        name = segmenter or self.default_segmenter
        if name not in self.segmenters:
            raise InputError(f"未知的分词器 {name!r}，可选：{', '.join(self.segmenters)}。(Unknown segmenter.)")
        if terms is not None and not isinstance(terms, bool):
            raise InputError(f"“发现的术语”应为 true 或 false，收到 {terms!r}。(terms must be true or false.)")
        chosen = self.segmenters[name]
        if terms:
            if name not in self.term_segmenters:
                raise InputError(
                    f"分词器 {name} 不能使用发现的术语（可用：{', '.join(self.term_segmenters) or '无'}）。"
                    "(This segmenter has no discovered terms.)"
                )
            chosen = self.term_segmenters[name]
        view = mask_preview(
            text,
            self.filler.tokenizer,
            chosen,
            seed=whole_number(seed, 0, MAX_SEED, "随机种子", "seed"),
            max_length=self.filler.max_length,
        )
        own = self.segmenters[name].user_words()
        found = {w.text for w in view.words if terms and w.user_word and w.text in self.terms and w.text not in own}

        def kind(w: Any) -> str | None:
            return "掩码" if w.masked else "发现的术语" if w.text in found else "用户词典" if w.user_word else None

        words = " / ".join(
            f"【{w.text}】" if w.text in found else f"〔{w.text}〕" if w.user_word else w.text for w in view.words
        )
        pieces: list[tuple[str, str | None]] = []
        at = 0
        for w in view.words:
            if w.start > at:
                pieces.append((text[at : w.start], None))
            pieces.append((w.text, kind(w)))
            at = w.end
        if at < len(text):
            pieces.append((text[at:], None))
        rows = [
            [w.text, w.start, w.end, w.masked, w.user_word and w.text not in found, w.text in found,
             " ".join(w.replaced_by)]
            for w in view.words
        ]  # fmt: skip
        return words, pieces, view.masked_input, rows

    def fill_mask(self, text: str, top_k: float = 5) -> list[list[Any]]:
        """One row per candidate: which [MASK] (1, 2, ...), rank, token, probability, and the filled text."""
        text = check_input(text, self.max_chars)
        k = whole_number(top_k, 1, 50, "候选数", "top_k")
        if self.filler.mask_token not in text:
            raise InputError(
                f"请在文本中写入 {self.filler.mask_token} 标记要填的字。(Write [MASK] where a character is missing.)"
            )
        try:
            per_mask = self.filler.predict([text], top_k=k)[0]
        except ValueError as err:
            raise InputError(f"{err}") from None
        return [
            [m + 1, rank + 1, c.token, round(c.score, 4), c.text]
            for m, candidates in enumerate(per_mask)
            for rank, c in enumerate(candidates)
        ]

    def attention_models(self) -> dict[str, str]:
        """The attention tab's models that are loaded: API key (``mlm``, ``classifier``, ``tagger``) -> name."""
        return {key: name for key, (field, name) in ATTENTION_MODELS.items() if getattr(self, field) is not None}

    def attention(self, text: str, model: str = "mlm", layer: int = 1, head: str | int = MEAN_HEAD) -> dict[str, Any]:
        """The attention weights of one ``layer`` (1 = the first) and ``head`` (1 = the first, or ``"mean"``: the
        mean over the layer's heads) of ``model`` for ``text``.

        Returns ``{"model", "tokens", "offsets", "layer", "head", "weights", "truncated"}``: ``weights[i][j]`` is how
        much token ``i`` attends to token ``j`` (each row sums to 1); ``offsets`` are each token's ``[start, end)``
        in ``text`` (``[0, 0]`` for ``[CLS]`` and ``[SEP]``); ``truncated`` says the text ran past the model's window.
        """
        key, found, matrix, layer_no, head_no = self._attention(text, model, layer, head)
        return {
            "model": key,
            "tokens": list(found.tokens),
            "offsets": [list(o) for o in found.offsets],
            "layer": layer_no,
            "head": MEAN_HEAD if head_no is None else head_no,
            # 7 decimals keep every row's sum within 1e-5 of 1 at 512 tokens, in a third of float32's digits.
            "weights": matrix.astype("float64").round(7).tolist(),
            "truncated": found.truncated,
        }

    def attention_heatmap(self, text: str, model: str = "mlm", layer: int = 1, head: str | int = MEAN_HEAD) -> str:
        """The attention tab's page: ``attention`` drawn as a heatmap (HTML, the labels in the browser's fonts)."""
        from .heatmap import heatmap_html

        key, found, matrix, layer_no, head_no = self._attention(text, model, layer, head)
        n = min(len(found.tokens), MAX_HEATMAP_TOKENS)
        which = "所有头平均" if head_no is None else f"第 {head_no} 个头"
        titles = [
            f"{ATTENTION_MODELS[key][1]} · 第 {layer_no} 层（共 {found.layers} 层）· {which}（共 {found.heads} 个头）"
            "：每一行是该词元对各词元的注意力，行和为 1。"
        ]
        if found.truncated:
            titles.append(
                f"文本超出模型的窗口（{len(found.tokens)} 个词元），只计算了前 {found.offsets[-2][1]} 个字符。"
            )
        if n < len(found.tokens):
            titles.append(
                f"共 {len(found.tokens)} 个词元，热力图只画出前 {n} 个（行与列）；/attention 接口返回完整矩阵。"
            )
        return heatmap_html(found.tokens[:n], matrix[:n, :n], titles)

    def _attention(self, text: Any, model: Any, layer: Any, head: Any) -> tuple[str, Any, Any, int, int | None]:
        from zhbert.api import attention_maps

        text = check_input(text, self.max_chars)
        loaded = self.attention_models()
        names = {name: key for key, name in loaded.items()}
        key = names.get(model, model) if isinstance(model, str) else None
        if key not in loaded:
            choices = "、".join(f"{k}（{v}）" for k, v in loaded.items())
            raise InputError(f"未知的模型 {model!r}，可选：{choices}。(Unknown model.)")
        predictor = getattr(self, ATTENTION_MODELS[key][0])
        config = predictor.model.config
        layer_no = whole_number(layer, 1, config.num_hidden_layers, "层", "layer")
        heads = config.num_attention_heads
        head_no: int | None = None
        if head not in (None, MEAN_HEAD, "所有头平均"):
            if isinstance(head, str) and head.strip().isdigit():
                head = int(head.strip())
            try:
                head_no = whole_number(head, 1, heads, "注意力头", "head")
            except InputError:
                raise InputError(
                    f"注意力头应为 1 到 {heads} 之间的整数，或“所有头平均”（mean）。"
                    f'(head must be a whole number from 1 to {heads}, or "mean".)'
                ) from None
        found = attention_maps(predictor.model, predictor.tokenizer, [text])[0]
        matrix = found.matrix(layer_no - 1, None if head_no is None else head_no - 1)
        return key, found, matrix, layer_no, head_no


def _guarded(handler: Any) -> Any:
    """The handler with ``InputError`` shown as a Gradio error message (UI toast, and the API's error)."""
    import functools

    import gradio as gr

    @functools.wraps(handler)
    def run(*args: Any) -> Any:
        try:
            return handler(*args)
        except InputError as err:
            raise gr.Error(str(err), print_exception=False) from None

    return run


def _head_choices(heads: int) -> list[tuple[str, str]]:
    return [("所有头平均", MEAN_HEAD), *((f"第 {h} 个头", str(h)) for h in range(1, heads + 1))]


def build_demo(handlers: DemoHandlers, concurrency_limit: int = 2) -> Any:
    """The demo as a ``gr.Blocks`` app, its queue set; call ``.launch()`` on it."""
    import gradio as gr

    with gr.Blocks(title="zhbert 中文 BERT 演示") as demo:
        gr.Markdown(
            "# zhbert 中文 BERT 演示\n文本分类、实体识别、全词掩码、完形填空与注意力。"
            f"每次最多 {handlers.max_chars} 个字符。"
        )
        if handlers.provenance:
            with gr.Accordion("模型来源 (where the models come from)", open=False, elem_id="provenance"):
                gr.Markdown(handlers.provenance)
        with gr.Tab("文本分类", id="classify"):
            text = gr.Textbox(label="文本", lines=3, elem_id="classify-text")
            button = gr.Button("分类", variant="primary", elem_id="classify-button")
            label = gr.Label(label="标签概率", elem_id="classify-label")
            gr.Examples([[x] for x in CLASSIFY_EXAMPLES], inputs=[text])
            button.click(_guarded(handlers.classify), [text], [label], api_name="classify")
        with gr.Tab("实体识别", id="ner"):
            text = gr.Textbox(label="文本", lines=3, elem_id="ner-text")
            button = gr.Button("识别实体", variant="primary", elem_id="ner-button")
            highlighted = gr.HighlightedText(label="实体", elem_id="ner-highlight")
            table = gr.Dataframe(
                headers=["实体", "类型", "起", "止", "分数"], label="实体列表（字符偏移 [起, 止)）", elem_id="ner-table"
            )
            gr.Examples([[x] for x in NER_EXAMPLES], inputs=[text])
            button.click(_guarded(handlers.ner), [text], [highlighted, table], api_name="ner")
        with gr.Tab("全词掩码", id="mask"):
            gr.Markdown(
                "分词后按整词抽样掩码（15%）：一个词要么整个被掩码，要么不动。〔〕内为用户词典中的词"
                + (
                    f"；勾选“发现的术语”后，{len(handlers.terms)} 个由 `zhbert terms` 从领域语料中自动发现的词"
                    "也加入词典，输入中出现的标为【】。"
                    if handlers.terms
                    else "。"
                )
            )
            text = gr.Textbox(label="文本", lines=3, elem_id="mask-text")
            with gr.Row():
                segmenter = gr.Dropdown(
                    list(handlers.segmenters),
                    value=handlers.default_segmenter,
                    label="分词器",
                    elem_id="mask-segmenter",
                )
                seed = gr.Number(value=0, precision=0, label="随机种子", elem_id="mask-seed")
                use_terms = gr.Checkbox(
                    value=False, label="发现的术语", visible=bool(handlers.term_segmenters), elem_id="mask-terms"
                )
            button = gr.Button("分词并掩码", variant="primary", elem_id="mask-button")
            words = gr.Textbox(label="分词", elem_id="mask-words")
            masked = gr.HighlightedText(label="被掩码的整词", elem_id="mask-highlight")
            model_input = gr.Textbox(label="模型输入", elem_id="mask-input")
            table = gr.Dataframe(
                headers=["词", "起", "止", "掩码", "用户词典", "发现的术语", "替换为"],
                label="逐词",
                elem_id="mask-table",
            )
            gr.Examples([[x] for x in MASK_EXAMPLES], inputs=[text])
            button.click(
                _guarded(handlers.mask),
                [text, segmenter, seed, use_terms],
                [words, masked, model_input, table],
                api_name="mask",
                preprocess=False,  # the handler checks the raw values: an empty, NaN or huge seed gets a message
            )
        with gr.Tab("完形填空", id="fill_mask"):
            gr.Markdown("用 `[MASK]` 标出要填的字，模型给出每个位置的前 k 个候选。")
            text = gr.Textbox(label="文本", lines=2, elem_id="fill-text")
            top_k = gr.Slider(1, 20, value=5, step=1, label="候选数 k", elem_id="fill-k")
            button = gr.Button("填空", variant="primary", elem_id="fill-button")
            table = gr.Dataframe(headers=["位置", "排名", "候选", "概率", "填入后"], label="候选", elem_id="fill-table")
            gr.Examples([[x] for x in FILL_EXAMPLES], inputs=[text])
            button.click(_guarded(handlers.fill_mask), [text, top_k], [table], api_name="fill_mask", preprocess=False)
        with gr.Tab("注意力", id="attention"):
            models = handlers.attention_models()
            first = getattr(handlers, ATTENTION_MODELS[next(iter(models))][0]).model.config if models else None
            gr.Markdown(
                "模型每一层、每个注意力头的权重：第 i 行是第 i 个词元（查询）分给各词元（键）的注意力，每行之和为 1。"
                f"热力图最多画出 {MAX_HEATMAP_TOKENS} 个词元。"
            )
            text = gr.Textbox(label="文本", lines=2, elem_id="attention-text")
            with gr.Row():
                model = gr.Dropdown(
                    [(name, key) for key, name in models.items()],
                    value=next(iter(models), None),
                    label="模型",
                    elem_id="attention-model",
                )
                layer = gr.Slider(
                    1, first.num_hidden_layers if first else 1, value=1, step=1, label="层", elem_id="attention-layer"
                )
                head = gr.Dropdown(
                    _head_choices(first.num_attention_heads if first else 0),
                    value=MEAN_HEAD,
                    label="注意力头",
                    elem_id="attention-head",
                )
            button = gr.Button("查看注意力", variant="primary", elem_id="attention-button")
            heatmap = gr.HTML(elem_id="attention-heatmap")
            gr.Examples([[x] for x in ATTENTION_EXAMPLES], inputs=[text])

            def fit_controls(key: str, at: Any, picked: Any) -> tuple[Any, Any]:
                """The layer slider and head choices of the model picked; a layer or head it has stays chosen."""
                config = getattr(handlers, ATTENTION_MODELS[key][0]).model.config
                layers, heads = config.num_hidden_layers, config.num_attention_heads
                fits = isinstance(at, int | float) and at <= layers
                kept = str(picked) in {MEAN_HEAD, *map(str, range(1, heads + 1))}
                return (
                    gr.update(maximum=layers) if fits else gr.update(maximum=layers, value=1),
                    gr.update(choices=_head_choices(heads))
                    if kept
                    else gr.update(choices=_head_choices(heads), value=MEAN_HEAD),
                )

            model.change(fit_controls, [model, layer, head], [layer, head], api_visibility="private")
            button.click(
                _guarded(handlers.attention_heatmap),
                [text, model, layer, head],
                [heatmap],
                api_visibility="private",  # the page's picture; the matrix itself is /attention below
                preprocess=False,
            )
            gr.api(_guarded(handlers.attention), api_name="attention")
    demo.queue(default_concurrency_limit=concurrency_limit, max_size=QUEUE_SIZE)
    return demo


def load_handlers(
    classifier: str,
    tagger: str,
    mlm: str,
    segmenter: str = "jieba",
    user_dict: str | None = None,
    ltp_model: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    device: str | None = None,
    dtype: str | None = None,
    provenance: str = "",
    terms: str | None = None,
) -> DemoHandlers:
    """Load the three models and the segmenters (jieba with ``user_dict``, char, and LTP when given a model);
    ``terms``, a dictionary of discovered terms (``zhbert terms``), gives jieba and LTP a second segmenter each
    with those terms added."""
    from zhbert.api import EntityTagger, MaskFiller, TextClassifier
    from zhbert.text import get_segmenter, read_user_dict

    segmenters = {"jieba": get_segmenter("jieba", user_dict=user_dict)}
    if ltp_model is not None:
        segmenters["ltp"] = get_segmenter("ltp", user_dict=user_dict, ltp_model=ltp_model)
    segmenters["char"] = get_segmenter("char")
    entries = read_user_dict(terms) if terms is not None else []
    term_segmenters: dict[str, Any] = {}
    if entries:
        term_segmenters["jieba"] = get_segmenter("jieba", user_dict=user_dict)
        term_segmenters["jieba"].add_words([(e.word, e.freq) if e.freq is not None else e.word for e in entries])
        if ltp_model is not None:
            term_segmenters["ltp"] = get_segmenter("ltp", user_dict=user_dict, ltp_model=ltp_model)
            term_segmenters["ltp"].add_words([e.word for e in entries])
    if segmenter not in segmenters:
        needs = " without an LTP model" if segmenter == "ltp" else ""
        raise UsageError(
            f"segmenter {segmenter!r} is not available{needs}; choose from {', '.join(segmenters)}",
            argument="ltp_model" if segmenter == "ltp" else "segmenter",
        )
    return DemoHandlers(
        classifier=TextClassifier.from_pretrained(classifier, device=device, dtype=dtype),
        tagger=EntityTagger.from_pretrained(tagger, device=device, dtype=dtype),
        filler=MaskFiller.from_pretrained(mlm, device=device, dtype=dtype),
        segmenters=segmenters,
        default_segmenter=segmenter,
        max_chars=max_chars,
        provenance=provenance,
        terms=frozenset(e.word for e in entries),
        term_segmenters=term_segmenters,
    )


def describe_models(manifest: dict[str, Any]) -> str:
    """Markdown for the page: what each model of a set is, what it was trained on and how it scores, from the
    set's ``manifest.json`` ("" without one)."""
    if not manifest:
        return ""
    metrics = manifest.get("metrics", {})
    lines = [f"**{manifest.get('name', 'model set')}**, built {manifest.get('built', '?')}."]
    if "command" in manifest:
        lines.append(f"Rebuilt with `{manifest['command']}`.")
    labels = {
        "mlm": ("完形填空 / masked LM", "cloze_accuracy", "held-out cloze accuracy"),
        "classifier": ("文本分类 / sentiment", "eval_accuracy", "dev accuracy"),
        "tagger": ("实体识别 / PER, LOC, ORG", "test_f1", "held-out strict F1"),
    }
    for key, (what, metric, described) in labels.items():
        value = metrics.get(key, {}).get(metric)
        figure = f"{described} {value:.3f}" if isinstance(value, int | float) else "no figure recorded"
        lines.append(f"- {what}: {figure}")
    data = manifest.get("data", {})
    if "base_corpus" in data:
        sources = ", ".join(k for k in data["base_corpus"].get("sources", {}) if "held out" not in k)
        lines.append(f"\nPretraining text: {sources} (never a dev or test split).")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    from zhbert.cli import ArgumentParser, add_dtype_option

    parser = ArgumentParser(prog="zhbert demo", description="The zhbert web demo (Gradio).")
    parser.add_argument("--classifier", help="classifier directory (default: the demo's default model set)")
    parser.add_argument("--tagger", help="NER model directory (default: the demo's default model set)")
    parser.add_argument("--mlm", help="masked-language model directory for 完形填空 and its tokenizer for 全词掩码")
    parser.add_argument("--segmenter", choices=["jieba", "ltp", "char"], default="jieba")
    parser.add_argument("--user-dict", help="jieba user dictionary (default with the default set: legal terms)")
    parser.add_argument("--ltp-model", help="LTP model directory, to offer the LTP segmenter")
    parser.add_argument(
        "--terms",
        help="discovered terms (zhbert terms) for the 全词掩码 tab's 发现的术语 option (default: the demo's, from its "
        "legal corpus; 'none' to leave the option out)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS, help="longest accepted input")
    parser.add_argument("--concurrency", type=int, default=2, help="requests run at once; the rest queue")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    parser.add_argument("--home", help="zhbert cache folder for the default set (default $ZHBERT_HOME)")
    parser.add_argument("--device", default=None)
    add_dtype_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from zhbert.cli import option_strings, run_cli

    parser = build_parser()
    return run_cli("zhbert demo", lambda: _serve(parser, argv), option_strings(parser))


def _serve(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    from .models import DEMO_TERMS, DemoModelPaths, build_demo_models, read_manifest

    args = parser.parse_args(argv)
    if args.max_chars < 1:
        raise UsageError(f"max_chars must be at least 1, got {args.max_chars}", argument="max_chars")
    if args.concurrency < 1:
        raise UsageError(f"concurrency must be at least 1, got {args.concurrency}", argument="concurrency")
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise MissingExtraError("the demo needs gradio: pip install 'zhbert[demo]'") from None
    user_dict = args.user_dict
    provenance = ""
    if not (args.classifier and args.tagger and args.mlm):
        paths = DemoModelPaths.shipped() or DemoModelPaths.complete(args.home) or build_demo_models(args.home)
        args.classifier = args.classifier or str(paths.classifier)
        args.tagger = args.tagger or str(paths.tagger)
        args.mlm = args.mlm or str(paths.mlm)
        if user_dict is None and args.segmenter == "jieba":
            user_dict = str(paths.user_dict)
        provenance = describe_models(read_manifest(paths.root))
    handlers = load_handlers(
        args.classifier,
        args.tagger,
        args.mlm,
        args.segmenter,
        user_dict,
        args.ltp_model,
        args.max_chars,
        args.device,
        args.dtype,
        provenance,
        None if args.terms == "none" else args.terms or str(DEMO_TERMS),
    )
    demo = build_demo(handlers, concurrency_limit=args.concurrency)
    print(f"zhbert demo: serving on http://{args.host}:{args.port}", flush=True)
    from starlette.middleware import Middleware

    from .limits import RequestLimits

    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        show_error=False,  # a handler's InputError still reaches the user; a bug's raw exception text does not
        max_file_size=1024,
        app_kwargs={"middleware": [Middleware(RequestLimits, max_body=MAX_REQUEST_BYTES)]},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
