"""Predictions over a cluster with Ray Data: zhbert's Python API in a ``map_batches`` class, one model per actor.

    pip install "zhbert[cluster]"
    python docs/examples/ray_predict.py --model zhbert_demo/models/classifier --input texts.txt --output runs/labels

On a cluster: start Ray there (``ray start --head`` on one machine and ``ray start --address HEAD:6379`` on the
others, or a RayCluster on Kubernetes), put the input where every node can read it (a shared disk, ``s3://...``),
and run this script on any node with ``RAY_ADDRESS`` set. Each actor loads the model once and labels batches of
lines; Ray spreads the actors over the nodes and streams the file through them. The output is a folder of JSON
lines files, one object per input line, in input order: the text and its prediction as a JSON string (``skipped``
for a blank line).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any


class Predict:
    """One actor: a ``TextClassifier`` or ``EntityTagger`` (the model folder says which) on ``threads`` threads."""

    def __init__(self, model: str, threads: int = 1) -> None:
        import torch

        from zhbert import EntityTagger, TextClassifier
        from zhbert.models.loading import checkpoint_task

        torch.set_num_threads(threads)
        self.tagger = checkpoint_task(model) == "ner"
        self.predictor = (EntityTagger if self.tagger else TextClassifier).from_pretrained(model)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(t) for t in batch["text"]]
        kept = [i for i, t in enumerate(texts) if t.strip()]
        results = self.predictor.predict([texts[i] for i in kept])
        answers: list[str] = [json.dumps({"skipped": "blank line"})] * len(texts)
        for i, result in zip(kept, results, strict=True):
            shown = {"entities": [asdict(e) for e in result]} if self.tagger else asdict(result)
            answers[i] = json.dumps(shown, ensure_ascii=False)
        return {"text": texts, "prediction": answers}


def predict(model: str, input_path: str, output: str, actors: int = 2, batch_size: int = 256, threads: int = 1) -> None:
    """Label every line of ``input_path`` (a text file, one text per line) into JSON lines under ``output``."""
    import ray

    ray.data.DataContext.get_current().execution_options.preserve_order = True  # output in input order
    lines = ray.data.read_text(input_path, drop_empty_lines=False)  # a column "text", one row per line
    labelled = lines.map_batches(
        Predict,
        fn_constructor_kwargs={"model": model, "threads": threads},
        concurrency=actors,
        batch_size=batch_size,
        num_cpus=threads,
    )
    labelled.write_json(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True, help="a folder, written by Ray (one .json file per block)")
    parser.add_argument("--actors", type=int, default=2, help="models loaded at once, over the whole cluster")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (and CPUs reserved) per actor")
    args = parser.parse_args()
    predict(args.model, args.input, args.output, args.actors, threads=args.threads)


if __name__ == "__main__":
    main()
