"""``PrecisionTrainingArguments``: transformers' ``TrainingArguments`` whose float type and dropout follow the
hardware. Both training jobs build on it: ``wwm-pretrain`` parses it as is, and fine-tuning's
``FinetuneArguments`` subclasses it."""

from __future__ import annotations

from dataclasses import dataclass, field

from transformers import TrainingArguments

from .dropout import default_fast_dropout
from .precision import accelerator_available, default_training_bf16

__all__ = ["PrecisionTrainingArguments"]


@dataclass
class PrecisionTrainingArguments(TrainingArguments):
    """``TrainingArguments`` whose ``bf16`` default follows the hardware: left unset, training on a CPU that
    multiplies bf16 natively runs in bf16 autocast, and everywhere else in float32 (``zhbert.models.precision``).
    ``--bf16 true`` or ``--bf16 false`` decides instead. Master weights and the optimizer stay float32.

    ``fast_dropout`` likewise: left unset, bf16 training on a CPU draws dropout masks with
    ``zhbert.models.fast_dropout``; float32 training and GPUs keep torch's dropout."""

    bf16: bool | None = field(  # type: ignore[assignment]
        default=None,
        metadata={
            "help": "bf16 autocast with float32 master weights and optimizer. Default: on when training on a CPU "
            "with avx512_bf16/AMX (ZHBERT_CPU_BF16=0/1 overrides the check), off elsewhere."
        },
    )

    fast_dropout: bool | None = field(
        default=None,
        metadata={
            "help": "Draw dropout masks from 16-bit random lanes instead of torch's bernoulli_ (p resolved to "
            "1/65536; the attention then runs transformers' eager kernel with that mask). Default: on when "
            "training in bf16 on a CPU, where bernoulli_ was a quarter of a step; off in float32 and on a GPU."
        },
    )

    def __post_init__(self) -> None:
        if self.bf16 is None:
            self.bf16 = not self.fp16 and default_training_bf16(bool(self.use_cpu))
        if self.bf16 and not accelerator_available():
            # transformers refuses bf16 without a GPU unless told it trains on the CPU: on a machine without
            # one, that is where it trains anyway.
            self.use_cpu = True
        if self.fast_dropout is None:
            self.fast_dropout = default_fast_dropout(bool(self.bf16), bool(self.use_cpu))
        super().__post_init__()
