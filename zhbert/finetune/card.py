"""The model card (``README.md``) written beside a fine-tuned model."""

from __future__ import annotations

from pathlib import Path

from .task import Task

__all__ = ["plain_loading", "write_model_card"]


def plain_loading(task: Task, labels: list[str]) -> str:
    """What plain transformers gives for a model of ``task`` with ``labels``, and which paths keep zhbert's
    decoding (the model card's last paragraph)."""
    if task.name != "ner":
        return (
            f"Plain transformers `{task.auto_class}` loads the whole model and gives the same labels as "
            f"`{task.api.__name__}` (the argmax of its logits; the scores are their softmax) when texts are cut at "
            "the length it was fine-tuned with: `truncation=True, max_length=` its `zhbert_max_length` in "
            "`config.json`."
        )
    if getattr(task, "head", "tags") == "span":
        return f"""Plain transformers `{task.auto_class}` loads the encoder only: the span head (its `span_head.*`
weights, a score for every start, end and type) is left unread, and the token classifier it builds in its place is
freshly initialised, so its outputs mean nothing. The paths that keep the span head: the Python API above
(`{task.api.__name__}`, whose entities may nest), `zhbert predict`, `zhbert evaluate` and `zhbert serve`.
`zhbert export` does not export a span model."""
    kind = next((label[2:] for label in labels if label.startswith("E-")), "LOC")
    crf = "the CRF (its `crf.*` weights are left unread) and " if getattr(task, "crf", False) else ""
    return f"""Plain transformers `{task.auto_class}` loads only part of it: each token's scores from the token
classifier, without {crf}the decoding held to the BIOES rules. Argmax over those scores can give other entities
than `{task.api.__name__}` and tag sequences that BIOES forbids (an I- or E- tag with no B- before it).
transformers' `pipeline("token-classification")` groups tokens by their B- and I- prefixes only: an E- token
becomes an entity of its own (`B-{kind} I-{kind} E-{kind}` gives two entities) and neighbouring S- tokens merge
into one. The paths that keep the decoding: the Python API above, `zhbert predict`, `zhbert export` (an ONNX
graph with the transition and constraint matrices beside it) and `zhbert serve`."""


def write_model_card(
    output_dir: Path,
    task: Task,
    base_model: str,
    labels: list[str],
    results: dict[str, float],
    sizes: dict[str, tuple[int, str | None]],
    command: str,
    class_weights: str | None = None,
) -> None:
    """Write ``output_dir/README.md``: data, labels, metrics, the command that trained the model, and its use;
    ``class_weights`` describes the weights of the loss, when it had some."""
    rows = "\n".join(f"| {k} | {v:.4f} |" for k, v in sorted(results.items()) if isinstance(v, float))
    data = "\n".join(f"- {split}: {n} examples" + (f" from `{f}`" if f else "") for split, (n, f) in sizes.items())
    weighting = f"\nClass weights in the loss ({class_weights}).\n" if class_weights else ""
    strict = (
        "NER: seqeval, strict IOBES (`mode='strict', scheme=IOBES`), micro F1 over entities."
        if task.name == "ner"
        else ""
    )
    card = f"""# {output_dir.name}

A {task.description} model fine-tuned with zhbert from
`{base_model}`.

## Data
{data}

## Labels
{", ".join(f"`{label}`" for label in labels)}
{weighting}
## Metrics
{strict}

| metric | value |
|---|---|
{rows}

## Command
```
{command}
```

## Use
```python
from zhbert import {task.api.__name__}
model = {task.api.__name__}.from_pretrained("{output_dir}")
print(model.predict(["..."]))
```
{plain_loading(task, labels)}
"""
    (output_dir / "README.md").write_text(card, encoding="utf-8")
