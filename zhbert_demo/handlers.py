"""The demo's handlers: one function per tab (and API endpoint) over the loaded models, each checking its input
and returning what the page shows; ``load_handlers`` loads the models and segmenters they run on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zhbert.errors import UsageError

from .inputs import DEFAULT_MAX_CHARS, MAX_SEED, InputError, check_input, whole_number

__all__ = ["ATTENTION_MODELS", "MAX_HEATMAP_TOKENS", "MEAN_HEAD", "DemoHandlers", "load_handlers"]

# The models the attention tab offers: API key -> (the DemoHandlers field, the name on the page).
ATTENTION_MODELS = {
    "mlm": ("filler", "掩码语言模型"),
    "classifier": ("classifier", "情感分类"),
    "tagger": ("tagger", "实体识别"),
}
MEAN_HEAD = "mean"
MAX_HEATMAP_TOKENS = 128  # rows and columns drawn; /attention returns the whole matrix


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


def load_handlers(
    classifier: str,
    tagger: str,
    mlm: str,
    *,
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
