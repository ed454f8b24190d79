#!/usr/bin/env bash
# ChnSentiCorp hotel reviews (binary sentiment) on CPU: a fixed-seed 80/10/10 split of the 7,765 non-empty
# reviews, a small BERT (4 layers, hidden 256) on the real bert-base-chinese vocabulary from random weights.
# No pretrained weights exist offline, so the recipe first fine-tunes the model on 64,760 labelled reviews from
# other domains (online_shopping_10_cats without its hotel category, and waimai_10k; any review also in
# ChnSentiCorp left out), then on the ChnSentiCorp training split, early-stopped on its dev split. The last line
# printed is the test accuracy, e.g. "test_accuracy 0.901".
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
mkdir -p "$(dirname "$OUT")"

$PY benchmarks/recipes/init_small_bert.py "$INIT"
$PY benchmarks/recipes/sentiment_transfer_data.py "$SHARED" "$OUT-other-domains.csv" >&2

rm -rf "$STAGE1" "$OUT"
$PY -m zhbert train classify --model_name_or_path "$INIT" --train_file "$OUT-other-domains.csv" --text_column review \
    --validation_split_percentage 3 --output_dir "$STAGE1" --max_seq_length ${STAGE1_MAX_LENGTH:-96} \
    --num_train_epochs 1 --train_sampling_strategy group_by_length --per_device_train_batch_size 32 \
    --learning_rate 5e-4 --warmup_steps 0.05 --seed 0 --disable_tqdm true ${STAGE1_ARGS:-} >"$STAGE1.log" 2>&1

$PY -m zhbert train classify --model_name_or_path "$STAGE1" --train_file "$DATA" --text_column review \
    --validation_split_percentage 10 --test_split_percentage 10 --split_seed 42 \
    --output_dir "$OUT" --max_seq_length 128 --num_train_epochs ${EPOCHS:-3} --train_sampling_strategy group_by_length \
    --per_device_train_batch_size 32 --learning_rate 2e-4 --warmup_steps 0.05 --early_stopping_patience 3 \
    --seed 0 --disable_tqdm true ${EXTRA_ARGS:-} 2>"$OUT.log" | tail -n 1
