#!/usr/bin/env bash
# ChnSentiCorp hotel reviews (binary sentiment) fine-tuned from a pretrained base, with no n-gram teacher:
# zhbert train classify on the recipe's fixed-seed 80/10/10 split of the 7,765 non-empty reviews (the split of
# chnsenticorp.sh and ngram_teacher.py), the best dev checkpoint scored once on test. The shipped base
# (zhbert_demo/models/mlm) never saw this split's dev or test reviews. The last line printed is the test
# accuracy, e.g. "test_accuracy 0.915".
#
#   bash benchmarks/recipes/chnsenticorp_base.sh [BASE] [OUTPUT_DIR]
#       (defaults zhbert_demo/models/mlm and runs/chnsenticorp-base)
#   OTHER_DOMAINS=1 bash benchmarks/recipes/chnsenticorp_base.sh ...
#       first one epoch on the other-domain reviews of chnsenticorp.sh's first stage (online_shopping_10_cats
#       without hotels, and waimai_10k; any review also in ChnSentiCorp left out), then ChnSentiCorp
#   DAPT_STEPS=N bash benchmarks/recipes/chnsenticorp_base.sh ...
#       first continue pretraining the base for N steps (wwm-pretrain with pretrain_reviews.json: jieba whole-word
#       masking, bf16 where the CPU has it) on review text: those other-domain reviews and ChnSentiCorp's
#       training part, no labels
#   EPOCHS, PATIENCE and EXTRA_ARGS change the ChnSentiCorp stage (defaults 4, 2 and nothing)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
SHARED=${ZHBERT_SHARED_DATA:-../shared/data}
DATA=$SHARED/chnsenticorp_htl/ChnSentiCorp_htl_all.csv
BASE=${1:-zhbert_demo/models/mlm}
OUT=${2:-runs/chnsenticorp-base}
mkdir -p "$(dirname "$OUT")"
rm -rf "$OUT"
START=$BASE
if [ -n "${DAPT_STEPS:-}" ]; then
    START=$OUT-dapt
    rm -rf "$START"
    $PY benchmarks/recipes/sentiment_transfer_data.py "$SHARED" "$OUT-reviews.csv" "$OUT-reviews.txt" >&2
    $PY -m wwm_pretrain benchmarks/recipes/pretrain_reviews.json --model_name_or_path "$BASE" \
        --train_file "$OUT-reviews.txt" --max_steps "$DAPT_STEPS" --output_dir "$START" >"$START.log" 2>&1
fi
if [ -n "${OTHER_DOMAINS:-}" ]; then
    FROM=$START
    START=$OUT-other-domains
    rm -rf "$START"
    $PY benchmarks/recipes/sentiment_transfer_data.py "$SHARED" "$OUT-other-domains.csv" >&2
    $PY -m zhbert train classify --model_name_or_path "$FROM" --train_file "$OUT-other-domains.csv" \
        --text_column review --validation_split_percentage 3 --output_dir "$START" --max_seq_length 96 \
        --num_train_epochs 1 --train_sampling_strategy group_by_length --per_device_train_batch_size 32 \
        --learning_rate 2e-4 --warmup_steps 0.05 --weight_decay 0.01 --seed 0 --disable_tqdm true >"$START.log" 2>&1
fi
$PY -m zhbert train classify --model_name_or_path "$START" --train_file "$DATA" --text_column review \
    --validation_split_percentage 10 --test_split_percentage 10 --split_seed 42 --output_dir "$OUT" \
    --max_seq_length 256 --num_train_epochs ${EPOCHS:-4} --train_sampling_strategy group_by_length \
    --per_device_train_batch_size 32 --learning_rate 2e-4 --warmup_steps 0.06 --weight_decay 0.01 \
    --early_stopping_patience ${PATIENCE:-2} --seed 0 --disable_tqdm true ${EXTRA_ARGS:-} 2>"$OUT.log" | tail -n 1
