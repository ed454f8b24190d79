"""The demo's page: the ``gr.Blocks`` app, a tab per handler of ``DemoHandlers``, each also a named API endpoint
(``/classify``, ``/ner``, ``/mask``, ``/fill_mask``, ``/attention``). Building it loads no model."""

from __future__ import annotations

from typing import Any

from .handlers import ATTENTION_MODELS, MAX_HEATMAP_TOKENS, MEAN_HEAD, DemoHandlers
from .inputs import InputError

__all__ = ["QUEUE_SIZE", "build_demo", "guarded", "head_choices"]

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


def guarded(handler: Any) -> Any:
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


def head_choices(heads: int) -> list[tuple[str, str]]:
    """The attention tab's head choices: the mean of the heads, then each head by number."""
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
            button.click(guarded(handlers.classify), [text], [label], api_name="classify")
        with gr.Tab("实体识别", id="ner"):
            text = gr.Textbox(label="文本", lines=3, elem_id="ner-text")
            button = gr.Button("识别实体", variant="primary", elem_id="ner-button")
            highlighted = gr.HighlightedText(label="实体", elem_id="ner-highlight")
            table = gr.Dataframe(
                headers=["实体", "类型", "起", "止", "分数"], label="实体列表（字符偏移 [起, 止)）", elem_id="ner-table"
            )
            gr.Examples([[x] for x in NER_EXAMPLES], inputs=[text])
            button.click(guarded(handlers.ner), [text], [highlighted, table], api_name="ner")
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
                guarded(handlers.mask),
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
            button.click(guarded(handlers.fill_mask), [text, top_k], [table], api_name="fill_mask", preprocess=False)
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
                    head_choices(first.num_attention_heads if first else 0),
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
                    gr.update(choices=head_choices(heads))
                    if kept
                    else gr.update(choices=head_choices(heads), value=MEAN_HEAD),
                )

            model.change(fit_controls, [model, layer, head], [layer, head], api_visibility="private")
            button.click(
                guarded(handlers.attention_heatmap),
                [text, model, layer, head],
                [heatmap],
                api_visibility="private",  # the page's picture; the matrix itself is /attention below
                preprocess=False,
            )
            gr.api(guarded(handlers.attention), api_name="attention")
    demo.queue(default_concurrency_limit=concurrency_limit, max_size=QUEUE_SIZE)
    return demo
