"""The documented Ray Data example (docs/examples/ray_predict.py) on a local Ray: every line labelled, in order, as
the Python API labels it. Runs only where Ray Data is installed (the ``cluster`` extra)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray Data is an optional extra: pip install 'zhbert[cluster]'")
pytest.importorskip("ray.data", reason="Ray Data is an optional extra: pip install 'zhbert[cluster]'")

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "ray_predict.py"


def _example():
    spec = importlib.util.spec_from_file_location("ray_predict", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_ray_data_example_labels_every_line_in_order(tiny_classifier_dir, tmp_path):
    from zhbert import TextClassifier

    texts = [t for i in range(25) for t in (f"味道很好{i}", f"送餐太慢{i}", "", f"一般般吧{i}")]
    source = tmp_path / "in.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False)  # 2 actors and a read task
    try:
        _example().predict(str(tiny_classifier_dir), str(source), str(tmp_path / "out"), actors=2, batch_size=16)
    finally:
        ray.shutdown()
    rows = [json.loads(x) for f in sorted((tmp_path / "out").glob("*.json")) for x in f.read_text().splitlines()]
    assert [r["text"] for r in rows] == texts
    expected = iter(TextClassifier.from_pretrained(tiny_classifier_dir).predict([t for t in texts if t.strip()]))
    for row in rows:
        got = json.loads(row["prediction"])
        assert got == {"skipped": "blank line"} if not row["text"].strip() else got["label"] == next(expected).label
