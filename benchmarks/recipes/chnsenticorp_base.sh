#!/usr/bin/env bash
# ChnSentiCorp hotel reviews (binary sentiment) fine-tuned from a pretrained base, with no n-gram teacher and no
# other-domain stage: zhbert train classify on the recipe's fixed-seed 80/10/10 split of the 7,765 non-empty
# reviews (the split of chnsenticorp.sh and ngram_baseline.py), the best dev checkpoint scored once on test.
# The shipped base (zhbert_demo/models/mlm) never saw this split's dev or test reviews. The last line printed
# is the test accuracy, e.g. "test_accuracy 0.915".
#
#   bash benchmarks/recipes/chnsenticorp_base.sh [BASE] [OUTPUT_DIR]
#       (defaults zhbert_demo/models/mlm and runs/chnsenticorp-base)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
DATA=${ZHBERT_SHARED_DATA:-../shared/data}/chnsenticorp_htl/ChnSentiCorp_htl_all.csv
BASE=${1:-zhbert_demo/models/mlm}
OUT=${2:-runs/chnsenticorp-base}
mkdir -p "$(dirname "$OUT")"
rm -rf "$OUT"
$PY -m zhbert train classify --model_name_or_path "$BASE" --train_file "$DATA" --text_column review \
    --validation_split_percentage 10 --test_split_percentage 10 --split_seed 42 --output_dir "$OUT" \
    --max_seq_length 256 --num_train_epochs ${EPOCHS:-4} --train_sampling_strategy group_by_length \
    --per_device_train_batch_size 32 --learning_rate 2e-4 --warmup_steps 0.06 --weight_decay 0.01 \
    --early_stopping_patience 2 --seed 0 --disable_tqdm true ${EXTRA_ARGS:-} 2>"$OUT.log" | tail -n 1
