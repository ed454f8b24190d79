"""The fast dropout: dropout's semantics from 16-bit random lanes, the swap into a BERT (its modules and its
attention), checkpoints that stay plain, and the training entry points that use it."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoModelForMaskedLM, AutoModelForSequenceClassification

from tests.conftest import TEST_DATA
from zhbert.errors import UsageError
from zhbert.models import FastDropout, PrecisionTrainingArguments, fast_dropout, use_fast_dropout, uses_fast_dropout
from zhbert.models.dropout import FAST_DROPOUT_ATTENTION, keep_mask, quantized_p

N = 1 << 20


def within_binomial(count: int, n: int, p: float, sigmas: float = 6.0) -> bool:
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_drop_rate_and_scale(p, dtype):
    torch.manual_seed(0)
    x = torch.rand(N, dtype=dtype) + 0.5  # no zeros of its own
    y = fast_dropout(x, p)
    assert y.dtype == dtype and y.shape == x.shape
    dropped = y == 0
    assert within_binomial(int(dropped.sum()), N, quantized_p(p))
    # Each of the four 16-bit lanes of an int64 draw drops at the rate: random_() without a range would leave
    # the top lane's sign bit 0 and keep all of it.
    for lane in range(4):
        assert within_binomial(int(dropped[lane::4].sum()), N // 4, quantized_p(p)), lane
    # Kept values are scaled as torch's own CPU dropout scales them: by 1/(1-p) in the input's dtype.
    scale = torch.tensor(1 / (1 - p), dtype=dtype)
    assert torch.equal(y[~dropped], x[~dropped] * scale)
    reference = F.dropout(x, p, training=True)
    both = (reference != 0) & ~dropped
    assert torch.equal(y[both], reference[both])


def test_p_is_resolved_to_1_in_65536():
    assert quantized_p(0.1) == 6554 / 65536
    assert abs(quantized_p(0.1) - 0.1) < 1 / 65536


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_identity_at_p_0_and_in_eval(dtype):
    x = torch.randn(64, 32, dtype=dtype)
    assert fast_dropout(x, 0.0) is x
    assert fast_dropout(x, 0.5, training=False) is x
    module = FastDropout(0.5).eval()
    assert module(x) is x
    assert not torch.equal(module.train()(x), x)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_gradient_is_the_same_mask_times_the_scale(dtype):
    x = torch.randn(32, 8, 128, dtype=dtype, requires_grad=True)
    grad = torch.randn(32, 8, 128, dtype=dtype)
    torch.manual_seed(3)
    mask = keep_mask(x.shape, 0.3, dtype)
    torch.manual_seed(3)
    y = fast_dropout(x, 0.3)
    assert torch.equal(y, x.detach() * mask)
    y.backward(grad)
    assert x.grad is not None and x.grad.dtype == dtype
    assert torch.equal(x.grad, grad * mask)
    assert set(mask.unique().tolist()) == {0.0, float(torch.tensor(1 / 0.7, dtype=dtype))}


def test_reproducible_under_manual_seed():
    x = torch.randn(4096)
    torch.manual_seed(7)
    a = fast_dropout(x, 0.1)
    torch.manual_seed(7)
    b = fast_dropout(x, 0.1)
    c = fast_dropout(x, 0.1)
    assert torch.equal(a, b) and not torch.equal(b, c)
    generator = torch.Generator().manual_seed(7)
    assert torch.equal(fast_dropout(x, 0.1, generator=generator), a)


def test_compiled_it_is_torch_dropout_and_trains_in_bf16():
    # torch.compile traces torch's dropout instead (the int64 view of a bf16 tensor does not compile); aot_eager
    # runs the traced forward and backward graphs without generating code.
    x = torch.randn(64, 1024, dtype=torch.bfloat16, requires_grad=True)
    compiled = torch.compile(lambda t: fast_dropout(t, 0.1) * 2.0, backend="aot_eager", fullgraph=True)
    y = compiled(x)
    y.sum().backward()
    kept = y != 0
    assert abs(1 - float(kept.float().mean()) - 0.1) < 0.01
    scale = float(torch.tensor(1 / 0.9, dtype=torch.bfloat16))
    assert x.grad is not None and x.grad.dtype == torch.bfloat16
    assert torch.equal(x.grad[kept], torch.full_like(x.grad[kept], 2 * scale))
    assert torch.equal(x.grad[~kept], torch.zeros_like(x.grad[~kept]))


def test_outside_16_bit_resolution_torch_dropout_runs_and_bad_p_is_refused():
    torch.manual_seed(0)
    x = torch.ones(N)
    y = fast_dropout(x, 1e-5)  # 0.66 in 65536: rounding would move it by a third; torch's dropout runs
    assert 0 < int((y == 0).sum()) < 40
    assert torch.equal(fast_dropout(x, 1.0), torch.zeros(N))
    with pytest.raises(UsageError, match=r"dropout probability must lie in \[0, 1\], got 1.5"):
        fast_dropout(x, 1.5)
    with pytest.raises(UsageError, match="too close to 0 or 1"):
        keep_mask((4,), 1e-6, torch.float32)


@pytest.fixture
def batch(tokenizer):
    return tokenizer(["中华人民共和国刑法", "当事人对判决不服的，可以提起上诉"], padding=True, return_tensors="pt")


def count_dropouts(model: nn.Module) -> tuple[int, int]:
    plain = sum(type(m) is nn.Dropout for m in model.modules())
    fast = sum(type(m) is FastDropout for m in model.modules())
    return plain, fast


@pytest.mark.parametrize("attention", ["eager", "sdpa"])
def test_swap_keeps_eval_outputs_and_replaces_every_dropout(attention, tiny_mlm_dir, batch):
    model = AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir, attn_implementation=attention).eval()
    with torch.no_grad():
        before = model(**batch).logits
    plain, fast = count_dropouts(model)
    assert plain == 1 + 3 * model.config.num_hidden_layers and fast == 0  # embeddings; per layer 3
    swap = use_fast_dropout(model)
    assert (swap.modules, swap.attention, swap.previous_attention) == (plain, True, attention)
    assert count_dropouts(model) == (0, plain)
    assert model.config._attn_implementation == FAST_DROPOUT_ATTENTION and uses_fast_dropout(model)
    assert all(not m.training for m in model.modules())
    with torch.no_grad():
        after = model(**batch).logits
    if attention == "eager":
        assert torch.equal(after, before)
    else:
        torch.testing.assert_close(after, before, rtol=1e-5, atol=1e-5)
    assert use_fast_dropout(model).modules == 0  # a second call changes nothing


def test_train_mode_follows_the_seed_and_the_attention_drops_probabilities(tiny_mlm_dir, batch):
    model = AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir, attention_probs_dropout_prob=0.5)
    use_fast_dropout(model)
    model.train()

    def run(seed: int):
        torch.manual_seed(seed)
        return model(**batch, output_attentions=True)

    a, b, c = run(1), run(1), run(2)
    assert torch.equal(a.logits, b.logits) and not torch.allclose(a.logits, c.logits)
    # The attention probabilities of real tokens are dropped at p = 0.5 and the rest scaled by 2.
    probs = a.attentions[0]  # (B, H, T, T)
    real = batch["attention_mask"].bool()[:, None, None, :].expand_as(probs)
    assert within_binomial(int((probs[real] == 0).sum()), int(real.sum()), 0.5)
    torch.testing.assert_close(probs.sum(-1).mean(), torch.tensor(1.0), atol=0.05, rtol=0)


def test_a_classifier_swaps_its_head_dropout_too(tiny_mlm_dir):
    model = AutoModelForSequenceClassification.from_pretrained(tiny_mlm_dir, num_labels=2)
    plain, _ = count_dropouts(model)
    assert use_fast_dropout(model).modules == plain and count_dropouts(model) == (0, plain)


def test_without_attention_dropout_the_attention_is_left_alone(tiny_mlm_dir):
    model = AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir, attention_probs_dropout_prob=0.0)
    swap = use_fast_dropout(model)
    assert not swap.attention and model.config._attn_implementation == "sdpa" and swap.modules > 0


def test_a_swapped_model_saves_a_plain_checkpoint(tiny_mlm_dir, tmp_path, batch):
    model = AutoModelForMaskedLM.from_pretrained(tiny_mlm_dir)
    use_fast_dropout(model)
    model.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert not any("attn" in key or "zhbert" in str(value) for key, value in saved.items())
    loaded = AutoModelForMaskedLM.from_pretrained(tmp_path).eval()
    assert count_dropouts(loaded)[1] == 0 and not uses_fast_dropout(loaded)
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, model.eval()(**batch).logits, rtol=1e-5, atol=1e-5)
    # A process that never imported zhbert (so knows no "zhbert_fast_dropout") loads it too.
    code = (
        "import sys; from transformers import AutoModelForMaskedLM; "
        "m = AutoModelForMaskedLM.from_pretrained(sys.argv[1]); print(m.config._attn_implementation)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "sdpa"


def test_the_default_is_on_for_bf16_training_on_a_cpu_and_off_in_float32(tmp_path):
    assert PrecisionTrainingArguments(output_dir=str(tmp_path), use_cpu=True, bf16=True).fast_dropout is True
    assert PrecisionTrainingArguments(output_dir=str(tmp_path), use_cpu=True, bf16=False).fast_dropout is False
    args = PrecisionTrainingArguments(output_dir=str(tmp_path), use_cpu=True, bf16=True, fast_dropout=False)
    assert args.fast_dropout is False
    forced = PrecisionTrainingArguments(output_dir=str(tmp_path), use_cpu=True, bf16=False, fast_dropout=True)
    assert forced.fast_dropout is True


class Seen:
    """The dropout classes and attention implementations that ran in training, from a global forward hook."""

    def __init__(self) -> None:
        self.dropouts: set[type] = set()
        self.attention: set[str] = set()

    def __call__(self, module: nn.Module, args: object, output: object) -> None:
        if not module.training:
            return
        if isinstance(module, nn.Dropout):
            self.dropouts.add(type(module))
        config = getattr(module, "config", None)
        if type(module).__name__ == "BertSelfAttention" and config is not None:
            self.attention.add(config._attn_implementation)


@pytest.fixture
def seen():
    recorder = Seen()
    handle = nn.modules.module.register_module_forward_hook(recorder)
    yield recorder
    handle.remove()


@pytest.mark.parametrize("enabled", [True, False])
def test_zhbert_train_uses_it_when_enabled(enabled, seen, tiny_mlm_dir, tmp_path):
    from zhbert.commands import main

    args = [
        "train", "ner", "--model_name_or_path", str(tiny_mlm_dir), "--train_file",
        str(TEST_DATA / "resume_train.char.bmes"), "--fix-tags", "--max_train_samples", "16", "--max_steps", "2",
        "--per_device_train_batch_size", "8", "--output_dir", str(tmp_path / "out"), "--disable_tqdm", "true",
        "--fast_dropout", str(enabled).lower(),
    ]  # fmt: skip
    assert main(args) == 0
    if enabled:
        assert seen.dropouts == {FastDropout} and seen.attention == {FAST_DROPOUT_ATTENTION}
    else:
        assert seen.dropouts == {nn.Dropout} and FAST_DROPOUT_ATTENTION not in seen.attention


@pytest.mark.parametrize("enabled", [True, False])
def test_wwm_pretrain_uses_it_when_enabled(enabled, seen, tiny_config_dir, law_txt, tmp_path):
    from wwm_pretrain.run import main
    from zhbert.resources import BERT_BASE_CHINESE_DIR

    args = [
        "--config_name", str(tiny_config_dir), "--tokenizer_name", str(BERT_BASE_CHINESE_DIR),
        "--train_file", str(law_txt), "--output_dir", str(tmp_path / "out"),
        "--prepared_cache_dir", str(tmp_path / "cache"), "--max_seq_length", "64", "--max_train_samples", "16",
        "--max_eval_samples", "4", "--per_device_train_batch_size", "8", "--max_steps", "2",
        "--save_strategy", "no", "--disable_tqdm", "true", "--report_to", "none",
        "--fast_dropout", str(enabled).lower(),
    ]  # fmt: skip
    assert main(args) == 0
    if enabled:
        assert seen.dropouts == {FastDropout} and seen.attention == {FAST_DROPOUT_ATTENTION}
    else:
        assert seen.dropouts == {nn.Dropout} and FAST_DROPOUT_ATTENTION not in seen.attention
