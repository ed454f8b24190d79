"""A model set's ``manifest.json``: one schema, written by both builders (``zhbert_demo.release`` for the shipped
set, ``zhbert_demo.model_set`` for one built on this machine) and read by the page's models panel.

Each model's figures are the fine-tune's ``eval_*`` (dev) and ``test_*`` (held-out) scores; the masked-language
model's is its held-out cloze test where the builder ran one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MANIFEST", "ModelSetManifest", "describe_models", "file_hashes", "finetune_figures", "read_manifest"]

MANIFEST = "manifest.json"
# What the page shows of each model: (what it is, the figure's key in ``metrics``, what the figure is).
PANEL = {
    "mlm": ("完形填空 / masked LM", "cloze_accuracy", "held-out cloze accuracy"),
    "classifier": ("文本分类 / sentiment", "eval_accuracy", "dev accuracy"),
    "tagger": ("实体识别 / PER, LOC, ORG", "test_f1", "held-out strict F1"),
}


def finetune_figures(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The figures a manifest keeps of a fine-tune's metrics: dev and test scores, and the training time."""
    return {k: v for k, v in metrics.items() if k.startswith(("eval_", "test_", "train_runtime"))}


def file_hashes(root: Path) -> dict[str, dict[str, Any]]:
    """Every file under ``root`` (but its manifest): its path relative to ``root``, SHA-256 and size."""
    from zhbert.text.files import sha256_of_files

    return {
        str(path.relative_to(root)): {"sha256": sha256_of_files([path]), "bytes": path.stat().st_size}
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root) != Path(MANIFEST)
    }


@dataclass(frozen=True)
class ModelSetManifest:
    """What a model set is: its name, when and with which command it was built, on what data with which flags,
    each model's figures (``metrics``: ``mlm``, ``classifier``, ``tagger``), and its files' hashes.

    Attributes:
        extra: a builder's own keys, written beside the others (the release's ``kept_from_earlier_build``,
            the local build's ``quick`` and ``seconds``).
    """

    name: str
    command: str
    built: str
    machine: str
    data: dict[str, Any]
    models: dict[str, Any]
    metrics: dict[str, dict[str, Any]]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The manifest as written: the fields, the extra keys beside them, the files last."""
        value: dict[str, Any] = {"name": self.name, "command": self.command, "built": self.built}
        value.update(machine=self.machine, data=self.data, models=self.models, metrics=self.metrics)
        value.update(self.extra)
        value["files"] = self.files
        return value

    def write(self, root: Path) -> Path:
        """Write ``root/manifest.json``; returns its path."""
        path = root / MANIFEST
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def read_manifest(root: Path) -> dict[str, Any]:
    """The ``manifest.json`` of a model set ({} when it has none or it cannot be read)."""
    try:
        value = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def describe_models(manifest: dict[str, Any]) -> str:
    """Markdown for the page: what each model of a set is, what it was trained on and how it scores, from the
    set's ``manifest.json`` ("" without one)."""
    if not manifest:
        return ""
    metrics = manifest.get("metrics", {})
    lines = [f"**{manifest.get('name', 'model set')}**, built {manifest.get('built', '?')}."]
    if "command" in manifest:
        lines.append(f"Rebuilt with `{manifest['command']}`.")
    for key, (what, metric, described) in PANEL.items():
        value = metrics.get(key, {}).get(metric)
        figure = f"{described} {value:.3f}" if isinstance(value, int | float) else "no figure recorded"
        lines.append(f"- {what}: {figure}")
    data = manifest.get("data", {})
    if "base_corpus" in data:
        sources = ", ".join(k for k in data["base_corpus"].get("sources", {}) if "held out" not in k)
        lines.append(f"\nPretraining text: {sources} (never a dev or test split).")
    return "\n".join(lines)
