#!/usr/bin/env bash
# Resume NER (BMES tags, 8 types) on CPU: a small BERT (4 layers, hidden 256) on the real bert-base-chinese
# vocabulary, trained from random weights on the training split, early-stopped on dev, scored on test with
# seqeval strict IOBES. The last line printed is the test F1, e.g. "test_f1 0.912".
#
#   bash benchmarks/recipes/resume_ner.sh [OUTPUT_DIR]      (default runs/resume-ner)
#   BASE=zhbert_demo/models/mlm bash benchmarks/recipes/resume_ner.sh runs/resume-ner-base
#       the same from a pretrained base instead of random weights (the shipped one: its pretraining text held
#       out Resume NER's dev and test files)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
DATA=${ZHBERT_SHARED_DATA:-../shared/data}/resume_ner
OUT=${1:-runs/resume-ner}
INIT=$OUT-init
mkdir -p "$(dirname "$OUT")"

# 1. The starting checkpoint: random weights, the bundled bert-base-chinese vocab and config, made smaller;
#    or the base given in BASE.
if [ -n "${BASE:-}" ]; then
    INIT=$BASE
else
    $PY benchmarks/recipes/init_small_bert.py "$INIT"
fi

# 2. Fine-tune. The training file has two ORG entities cut by a sentence break: --fix-tags repairs them.
rm -rf "$OUT"
$PY -m zhbert train ner --model_name_or_path "$INIT" \
    --train_file "$DATA/train.char.bmes" --validation_file "$DATA/dev.char.bmes" --test_file "$DATA/test.char.bmes" \
    --fix-tags --crf true --output_dir "$OUT" --max_seq_length 256 --num_train_epochs ${EPOCHS:-15} \
    --per_device_train_batch_size 32 --learning_rate 5e-4 --warmup_steps 0.05 --early_stopping_patience 4 \
    --seed 0 --disable_tqdm true ${EXTRA_ARGS:-} 2>"$OUT.log" | tail -n 1
