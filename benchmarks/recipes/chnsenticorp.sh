#!/usr/bin/env bash
# ChnSentiCorp hotel reviews (binary sentiment) on CPU: a fixed-seed 80/10/10 split of the 7,765 non-empty
# reviews, a small BERT (4 layers, hidden 256) on the real bert-base-chinese vocabulary from random weights.
# No pretrained weights exist offline, so:
#   1. the model is first fine-tuned on 64,760 labelled reviews from other domains (online_shopping_10_cats
#      without its hotel category, and waimai_10k; any review also in ChnSentiCorp left out);
#   2. a character n-gram model (the study's scikit-learn baseline) is fitted on the ChnSentiCorp training split and labels a
#      transfer set with its probabilities: the training reviews, 6 perturbed copies of each, and 20,000 of the
#      other-domain reviews (ngram_teacher.py);
#   3. the model is trained on those soft labels (knowledge distillation), 2 epochs, keeping the checkpoint best on
#      the dev split (checked every 500 steps), and scored once on the test split.
# The last line printed is the test accuracy, e.g. "test_accuracy 0.901". About an hour on 2 cores.
#
#   bash benchmarks/recipes/chnsenticorp.sh [OUTPUT_DIR]     (default runs/chnsenticorp)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
SHARED=${ZHBERT_SHARED_DATA:-../shared/data}
DATA=$SHARED/chnsenticorp_htl/ChnSentiCorp_htl_all.csv
OUT=${1:-runs/chnsenticorp}
INIT=$OUT-init
STAGE1=$OUT-other-domains
TRANSFER=$OUT-transfer
mkdir -p "$(dirname "$OUT")"

$PY benchmarks/recipes/init_small_bert.py "$INIT"
$PY benchmarks/recipes/sentiment_transfer_data.py "$SHARED" "$OUT-other-domains.csv" >&2

rm -rf "$STAGE1" "$OUT"
$PY -m zhbert train classify --model_name_or_path "$INIT" --train_file "$OUT-other-domains.csv" --text_column review \
    --validation_split_percentage 3 --output_dir "$STAGE1" --max_seq_length 96 \
    --num_train_epochs 1 --train_sampling_strategy group_by_length --per_device_train_batch_size 32 \
    --learning_rate 5e-4 --warmup_steps 0.05 --seed 0 --disable_tqdm true >"$STAGE1.log" 2>&1

$PY benchmarks/recipes/ngram_teacher.py "$DATA" "$OUT-other-domains.csv" "$TRANSFER" --copies 6 --other 20000 >&2

$PY -m zhbert train classify --model_name_or_path "$STAGE1" --train_file "$TRANSFER/train.jsonl" \
    --validation_file "$TRANSFER/dev.jsonl" --test_file "$TRANSFER/test.jsonl" --text_column review \
    --output_dir "$OUT" --max_seq_length 256 --num_train_epochs 2 --eval_strategy steps --eval_steps 500 \
    --train_sampling_strategy group_by_length --per_device_train_batch_size 32 --learning_rate 2e-4 \
    --warmup_steps 0.05 --weight_decay 0.01 --early_stopping_patience 0 --seed 0 --disable_tqdm true \
    ${EXTRA_ARGS:-} 2>"$OUT.log" | tail -n 1
