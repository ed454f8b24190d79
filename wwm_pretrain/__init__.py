"""Domain-adaptive continued pretraining with whole-word masking (see the README)."""
