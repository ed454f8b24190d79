#!/usr/bin/env bash
# ChnSentiCorp hotel reviews (binary sentiment) on CPU: a fixed-seed 80/10/10 split of the 7,765 non-empty
# reviews, a small BERT (4 layers, hidden 256) on the real bert-base-chinese vocabulary from random weights,
# early-stopped on dev. The last line printed is the test accuracy, e.g. "test_accuracy 0.901".
#
#   bash benchmarks/recipes/chnsenticorp.sh [OUTPUT_DIR]     (default runs/chnsenticorp)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
DATA=${ZHBERT_SHARED_DATA:-../shared/data}/chnsenticorp_htl/ChnSentiCorp_htl_all.csv
OUT=${1:-runs/chnsenticorp}
INIT=$OUT-init
mkdir -p "$(dirname "$OUT")"

$PY benchmarks/recipes/init_small_bert.py "$INIT"

rm -rf "$OUT"
$PY -m zhbert train classify --model_name_or_path "$INIT" --train_file "$DATA" --text_column review \
    --validation_split_percentage 10 --test_split_percentage 10 --split_seed 42 \
    --output_dir "$OUT" --max_seq_length 128 --num_train_epochs ${EPOCHS:-4} --train_sampling_strategy group_by_length \
    --per_device_train_batch_size 32 --learning_rate 5e-4 --warmup_steps 0.05 --early_stopping_patience 3 \
    --seed 0 --disable_tqdm true ${EXTRA_ARGS:-} 2>"$OUT.log" | tail -n 1
