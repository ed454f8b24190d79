"""The model card (``README.md``) written beside a fine-tuned model."""

from __future__ import annotations

from pathlib import Path

from .task import Task

__all__ = ["write_model_card"]


def write_model_card(
    output_dir: Path,
    task: Task,
    base_model: str,
    labels: list[str],
    results: dict[str, float],
    sizes: dict[str, tuple[int, str | None]],
    command: str,
) -> None:
    """Write ``output_dir/README.md``: data, labels, metrics, the command that trained the model, and its use."""
    rows = "\n".join(f"| {k} | {v:.4f} |" for k, v in sorted(results.items()) if isinstance(v, float))
    data = "\n".join(f"- {split}: {n} examples" + (f" from `{f}`" if f else "") for split, (n, f) in sizes.items())
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
It also loads with plain transformers `{task.auto_class}`.
"""
    (output_dir / "README.md").write_text(card, encoding="utf-8")
