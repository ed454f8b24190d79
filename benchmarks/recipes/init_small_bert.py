"""The recipes' starting checkpoint: random weights, the bundled bert-base-chinese vocabulary and config,
made smaller (4 layers, hidden 256).

    python benchmarks/recipes/init_small_bert.py OUTPUT_DIR
"""

from __future__ import annotations

import sys

import torch
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

from zhbert.resources import BERT_BASE_CHINESE_DIR

config = BertConfig.from_pretrained(
    BERT_BASE_CHINESE_DIR, num_hidden_layers=4, hidden_size=256, num_attention_heads=4, intermediate_size=1024
)
torch.manual_seed(0)
BertForMaskedLM(config).save_pretrained(sys.argv[1])
AutoTokenizer.from_pretrained(BERT_BASE_CHINESE_DIR).save_pretrained(sys.argv[1])
