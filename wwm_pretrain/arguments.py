"""Command-line arguments of ``wwm-pretrain``: the flag names of transformers' ``run_mlm.py`` where they overlap,
plus the segmenter, user dictionary, LTP model and n-gram options of whole-word masking."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "A BERT-style masked-LM checkpoint (a local directory, or a hub name when online)."},
    )
    config_name: str | None = field(
        default=None, metadata={"help": "Config to train from scratch (with --tokenizer_name), or to override."}
    )
    config_overrides: str | None = field(
        default=None,
        metadata={
            "help": "Override config values when training from scratch, e.g. 'num_hidden_layers=4,hidden_size=256'."
        },
    )
    tokenizer_name: str | None = field(
        default=None, metadata={"help": "Tokenizer directory or name, if not the model's own."}
    )
    cache_dir: str | None = field(default=None, metadata={"help": "Where downloaded models are stored."})
    attn_implementation: str | None = field(
        default=None,
        metadata={
            "help": "Attention kernel: eager, sdpa, ... (default: transformers' choice). On a CPU in bf16 at 128 "
            "tokens, eager measured faster than sdpa (benchmarks/pretrain_step.py)."
        },
    )
    position_init: str = field(
        default="random",
        metadata={
            "help": "From scratch only: how absolute position embeddings start, 'random' (BERT's) or 'sinusoidal' "
            "(the Transformer's sines and cosines at BERT's scale; still learned). Sinusoidal starts left the "
            "frequent-character plateau several times sooner in the demo base's pilot.",
            "choices": ["random", "sinusoidal"],
        },
    )
    mlm_head_warmup_steps: int = field(
        default=0,
        metadata={
            "help": "Train only the MLM head for this many steps before the whole model "
            "(for checkpoints whose head is untrained or missing)."
        },
    )


@dataclass
class DataArguments:
    train_file: str | None = field(
        default=None,
        metadata={
            "help": "Training corpus: .txt (one paragraph per line, a blank line between documents), "
            ".jsonl (one document per line, see --text_column) or a saved `datasets` directory."
        },
    )
    validation_file: str | None = field(default=None, metadata={"help": "Held-out corpus, same formats."})
    validation_split_percentage: float = field(
        default=5.0,
        metadata={"help": "Percentage of documents held out for evaluation when there is no --validation_file."},
    )
    text_column: str = field(default="text", metadata={"help": "Text field of .jsonl records and datasets rows."})
    max_seq_length: int = field(default=512, metadata={"help": "Tokens per packed block, [CLS] and [SEP] included."})
    mlm_probability: float = field(default=0.15, metadata={"help": "Fraction of tokens to predict."})
    max_ngram: int = field(
        default=1, metadata={"help": "Mask runs of 1..N consecutive words (MacBERT-style when > 1)."}
    )
    segmenter: str = field(
        default="jieba",
        metadata={"help": "Word segmenter for whole-word masking.", "choices": ["jieba", "ltp", "char"]},
    )
    user_dict: str | None = field(
        default=None,
        metadata={
            "help": "Domain dictionary in jieba's format: one 'word [freq] [tag]' per line. 'auto': discover the "
            "terms of the training corpus that jieba's dictionary lacks (as `zhbert terms` does) and use them; "
            "they are kept as terms.txt with the prepared corpus (jieba only; not with --streaming)."
        },
    )
    terms_top: int | None = field(
        default=None, metadata={"help": "With --user_dict auto: keep the N best terms (default: all that pass)."}
    )
    terms_min_count: int = field(default=5, metadata={"help": "With --user_dict auto: fewest occurrences of a term."})
    terms_max_len: int = field(default=6, metadata={"help": "With --user_dict auto: longest term, in characters."})
    ltp_model: str | None = field(default=None, metadata={"help": "LTP model directory (with --segmenter ltp)."})
    preprocessing_num_workers: int | None = field(
        default=None, metadata={"help": "Processes for corpus preparation (datasets.map num_proc)."}
    )
    prepared_cache_dir: str | None = field(
        default=None,
        metadata={"help": "Where prepared corpora are cached (default: $ZHBERT_HOME/datasets, ~/.cache/zhbert)."},
    )
    overwrite_cache: bool = field(default=False, metadata={"help": "Prepare the corpus again even if cached."})
    streaming: bool = field(
        default=False,
        metadata={"help": "Read and prepare the corpus on the fly (no disk cache); needs --max_steps."},
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Use at most this many training blocks."})
    max_eval_samples: int | None = field(default=None, metadata={"help": "Use at most this many evaluation blocks."})
    record_batch_hashes: bool = field(
        default=False,
        metadata={
            "help": "Write one line per training batch (step, hash of inputs and labels) to "
            "OUTPUT_DIR/batch_hashes-rank<N>.txt, to check data order across resumes and processes."
        },
    )
