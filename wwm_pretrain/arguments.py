"""The arguments of ``wwm-pretrain``: the names of transformers' ``run_mlm.py`` where they overlap, plus the
segmenter, user dictionary, LTP model and n-gram options of whole-word masking.

Each dataclass checks its own values when it is built (``UsageError`` naming the argument), whether from flags,
one JSON file or Python; ``check_arguments`` checks what needs two of them together. What needs the model or
the files (positions, the tokenizer, the corpus) is checked when they are loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zhbert.errors import UsageError

__all__ = ["AUTO_USER_DICT", "DataArguments", "ModelArguments", "check_arguments"]

AUTO_USER_DICT = "auto"  # the user_dict value that discovers the dictionary from the corpus
POSITION_INITS = ("random", "sinusoidal")
MIN_SEQ_LENGTH = 8


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
            "choices": list(POSITION_INITS),
        },
    )
    mlm_head_warmup_steps: int = field(
        default=0,
        metadata={
            "help": "Train only the MLM head for this many steps before the whole model "
            "(for checkpoints whose head is untrained or missing)."
        },
    )

    compile_encoder: bool = field(
        default=False,
        metadata={
            "help": "torch.compile (inductor, default mode) the encoder in place; the masked-only loss and the MLM "
            "head stay eager. Off by default: on a quiet 2-core Xeon with AMX (bf16, 4 layers of 256) it ran "
            "0.70x the eager step at dropout 0.1 and 0.95x at dropout 0, with the same eval loss after 300 steps "
            "(docs/benchmarks.md). It compiles in the first steps (cached across runs in TORCHINDUCTOR_CACHE_DIR). "
            "Inside the compiled encoder dropout is torch's, drawn by inductor's code, slower than the eager "
            "step's fast dropout. "
            "--torch_compile instead compiles the whole model, whose masked-only loss breaks the graph."
        },
    )

    def __post_init__(self) -> None:
        if not self.model_name_or_path and not (self.config_name and self.tokenizer_name):
            raise UsageError(
                "give model_name_or_path, or config_name and tokenizer_name to train from scratch",
                argument="model_name_or_path",
            )
        if self.position_init not in POSITION_INITS:
            raise UsageError(
                f"position_init must be one of {', '.join(POSITION_INITS)}, got {self.position_init!r}",
                argument="position_init",
            )
        if self.model_name_or_path and self.position_init != "random":
            raise UsageError(
                "position_init applies to training from scratch (config_name), not to a checkpoint",
                argument="position_init",
            )
        _check_whole(self, "mlm_head_warmup_steps", 0)


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

    def __post_init__(self) -> None:
        if not self.train_file:
            raise UsageError("give a training corpus (train_file)", argument="train_file")
        if not 0 <= self.validation_split_percentage < 100:
            raise UsageError(
                f"validation_split_percentage must lie in [0, 100), got {self.validation_split_percentage}",
                argument="validation_split_percentage",
            )
        if self.max_seq_length < MIN_SEQ_LENGTH:
            raise UsageError(
                f"max_seq_length {self.max_seq_length} is too small (at least {MIN_SEQ_LENGTH})",
                argument="max_seq_length",
            )
        if not 0.0 < self.mlm_probability < 1.0:
            raise UsageError(
                f"mlm_probability must be in (0, 1), got {self.mlm_probability}", argument="mlm_probability"
            )
        _check_whole(self, "max_ngram", 1)
        if self.max_train_samples is not None:
            _check_whole(self, "max_train_samples", 1)
        if self.user_dict == AUTO_USER_DICT:
            self._check_auto_user_dict()

    def _check_auto_user_dict(self) -> None:
        if self.segmenter != "jieba":
            raise UsageError(
                f"user_dict auto discovers a dictionary for jieba; the {self.segmenter} segmenter cannot use it",
                argument="user_dict",
            )
        if self.streaming:
            raise UsageError(
                "user_dict auto keeps its terms with the prepared corpus, and streaming prepares none: run "
                "`zhbert terms` on the corpus and give the file instead",
                argument="user_dict",
            )
        for name, low, high in (("terms_min_count", 1, None), ("terms_max_len", 2, 32), ("terms_top", 1, None)):
            if name != "terms_top" or self.terms_top is not None:
                _check_whole(self, name, low, high)


def _check_whole(args: Any, name: str, low: int, high: int | None = None) -> None:
    value = getattr(args, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
        raise UsageError(f"{name} must be a whole number >= {low}, got {value!r}", argument=name)


def check_arguments(model_args: ModelArguments, data_args: DataArguments, training_args: Any) -> None:
    """Check what the three argument dataclasses of a pretraining run decide together.

    Raises:
        UsageError: a streamed corpus without ``training_args.max_steps`` (a stream has no length).
    """
    if data_args.streaming and training_args.max_steps <= 0:
        raise UsageError("streaming needs max_steps (a stream has no length)", argument="max_steps")
