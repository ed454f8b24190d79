"""Taggers whose labels are IOB2 (BIO), BIOES (BIES) or BMES, decoded by ``EntityTagger`` in their own scheme: the
same small BERT trained the same way on Resume NER converted to each scheme, scored on the test split with strict
IOBES seqeval, in one run. BIO is IOB2's labels, and BIES is BIOES's, so three trainings cover the five names.

python benchmarks/tag_schemes.py [--init DIR] [--epochs 3] [--out /tmp/tag-schemes] [--schemes BIOES,IOB2,BMES] [--crf]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import datasets
from _common import REPO, SHARED_DATA, header
from transformers import (
    AutoModelForTokenClassification,
    AutoTokenizer,
    DataCollatorForTokenClassification,
    Trainer,
)

from zhbert import EntityTagger
from zhbert.data import read_ner_file
from zhbert.finetune import ner_features, ner_metrics
from zhbert.models import PrecisionTrainingArguments, add_crf
from zhbert.tagging import scheme_prefixes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--init", help="starting checkpoint (default: made by benchmarks/recipes/init_small_bert.py)")
    parser.add_argument("--epochs", type=float, default=3)
    parser.add_argument("--out", default="/tmp/tag-schemes")
    parser.add_argument("--schemes", default="BIOES,IOB2,BMES", help="BIOES first: the others are compared to it")
    parser.add_argument("--crf", action="store_true", help="train each with a CRF held to its scheme")
    args = parser.parse_args()
    header(f"taggers in three tag schemes, Resume NER, {args.epochs:g} epochs each{', with a CRF' if args.crf else ''}")
    out = Path(args.out)
    init = Path(args.init) if args.init else out / "init"
    if not args.init:
        subprocess.run([sys.executable, str(REPO / "benchmarks/recipes/init_small_bert.py"), str(init)], check=True)
    data = SHARED_DATA / "resume_ner"
    train = read_ner_file(data / "train.char.bmes", fix_tags=True)[0]
    test = read_ner_file(data / "test.char.bmes")[0]
    types = sorted({kind for e in train for _, _, kind in e.spans})
    tokenizer = AutoTokenizer.from_pretrained(init)
    results = {}
    for scheme in args.schemes.split(","):
        labels = ["O"] + [f"{p}-{t}" for t in types for p in scheme_prefixes(scheme)]
        label2id = {label: i for i, label in enumerate(labels)}
        features = ner_features([e.text for e in train], [e.spans for e in train], tokenizer, label2id, 256, scheme)
        model = AutoModelForTokenClassification.from_pretrained(
            init, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id
        )
        if args.crf:
            add_crf(model)
        training = PrecisionTrainingArguments(  # bf16 where the CPU multiplies it natively
            output_dir=str(out / scheme), num_train_epochs=args.epochs, per_device_train_batch_size=32,
            learning_rate=5e-4, warmup_steps=0.05, seed=0, save_strategy="no", report_to="none",
            disable_tqdm=True, logging_steps=10**6, dataloader_pin_memory=False,
        )  # fmt: skip
        tick = time.perf_counter()
        trainer = Trainer(
            model=model,
            args=training,
            train_dataset=datasets.Dataset.from_list(features),
            data_collator=DataCollatorForTokenClassification(tokenizer),
        )
        trainer.train()
        model.save_pretrained(out / scheme)
        tokenizer.save_pretrained(out / scheme)
        tagger = EntityTagger.from_pretrained(out / scheme, device="cpu")  # decodes with the saved labels' scheme
        texts = [e.text for e in test]
        found = [[(x.start, x.end, x.type) for x in p] for p in tagger.predict(texts)]
        scores = ner_metrics(texts, [e.spans for e in test], found)
        results[scheme] = (tagger.scheme, scores["f1"], time.perf_counter() - tick, trainer.state.global_step)
    print(f"{'labels':8s} {'decoded as':>10s} {'steps':>6s} {'test F1 (strict)':>17s} {'vs BIOES':>9s} {'s':>6s}")
    for scheme, (decoded, f1, seconds, steps) in results.items():
        diff = 100 * (f1 - results["BIOES"][1])
        print(f"{scheme:8s} {decoded:>10s} {steps:>6d} {f1:>17.4f} {diff:>+8.2f}pt {seconds:>6.0f}")


if __name__ == "__main__":
    main()
