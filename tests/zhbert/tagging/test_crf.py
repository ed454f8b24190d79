from __future__ import annotations

import itertools

import pytest
import torch

from zhbert.tagging import CRF, bioes_constraints

BIOES = ["O", "B-A", "I-A", "E-A", "S-A"]


def all_paths(num_labels: int, length: int) -> torch.Tensor:
    paths = list(itertools.product(range(num_labels), repeat=length))
    return torch.tensor(paths, dtype=torch.long).view(-1, length)


def effective(crf: CRF) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The CRF's scores with disallowed entries at -10000, computed here rather than by the module."""
    return (
        torch.where(crf.start_allowed, crf.start, torch.tensor(-10000.0)),
        torch.where(crf.transitions_allowed, crf.transitions, torch.tensor(-10000.0)),
        torch.where(crf.end_allowed, crf.end, torch.tensor(-10000.0)),
    )


def path_scores(crf: CRF, emissions: torch.Tensor, paths: torch.Tensor) -> torch.Tensor:
    """Scores of paths (N, n) under one sequence's emissions (n, L)."""
    start, trans, end = effective(crf)
    score = emissions[torch.arange(paths.shape[1]), paths].sum(dim=1) + start[paths[:, 0]] + end[paths[:, -1]]
    return score + trans[paths[:, :-1], paths[:, 1:]].sum(dim=1)


def make_crf(num_labels: int, seed: int, constrained: bool = False) -> CRF:
    torch.manual_seed(seed)
    crf = CRF(num_labels, bioes_constraints(BIOES) if constrained else None)
    with torch.no_grad():  # larger than the init, so the checks are not dominated by emissions
        for param in crf.parameters():
            param.normal_()
    return crf


def random_batch(num_labels: int, seed: int):
    generator = torch.Generator().manual_seed(seed)
    emissions = torch.randn(4, 4, num_labels, generator=generator)
    lengths = torch.tensor([4, 1, 0, 3])
    mask = torch.arange(4)[None, :] < lengths[:, None]
    tags = torch.randint(num_labels, (4, 4), generator=generator).masked_fill(~mask, -100)
    return emissions, tags, mask, lengths


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("num_labels", "constrained"), [(3, False), (5, False), (5, True)])
def test_nll_equals_brute_force(seed, num_labels, constrained):
    crf = make_crf(num_labels, seed, constrained)
    emissions, tags, mask, lengths = random_batch(num_labels, seed)
    nll = crf.neg_log_likelihood(emissions, tags, mask, reduction="none")
    assert nll.shape == (4,)
    for b in range(4):
        n = int(lengths[b])
        if n == 0:
            assert nll[b].item() == 0.0
            continue
        log_z = torch.logsumexp(path_scores(crf, emissions[b, :n], all_paths(num_labels, n)), dim=0)
        gold = path_scores(crf, emissions[b, :n], tags[b, :n][None])[0]
        assert nll[b].item() == pytest.approx((log_z - gold).item(), rel=1e-5, abs=1e-4)


@pytest.mark.parametrize("scale", [10.0, 30.0])
def test_nll_and_gradients_hold_for_confident_emissions(scale):
    """Logits with a spread of 10 and 30 nats, beyond a trained tagger's: the likelihood still equals the brute
    force over all paths, and its gradient equals the one of the brute force."""
    crf = make_crf(5, 7, constrained=True)
    generator = torch.Generator().manual_seed(7)
    emissions = (scale * torch.randn(2, 5, 5, generator=generator)).requires_grad_()
    tags = torch.tensor([[0, 1, 2, 3, 0], [4, 0, 1, 3, 0]])
    mask = torch.tensor([[True] * 5, [True] * 4 + [False]])
    crf.neg_log_likelihood(emissions, tags, mask, reduction="sum").backward()
    reference = emissions.detach().clone().requires_grad_()
    total = reference.new_zeros(())
    for b, n in enumerate((5, 4)):
        log_z = torch.logsumexp(path_scores(crf, reference[b, :n], all_paths(5, n)), dim=0)
        total = total + log_z - path_scores(crf, reference[b, :n], tags[b, :n][None])[0]
    total.backward()
    assert emissions.grad is not None and reference.grad is not None
    assert torch.allclose(emissions.grad, reference.grad, atol=1e-5)
    nll = crf.neg_log_likelihood(emissions.detach(), tags, mask, reduction="sum")
    assert nll.item() == pytest.approx(total.item(), rel=1e-5)


def _reference_log_partition(crf: CRF, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The forward algorithm as a (B, L, L) logsumexp at every position, in float64."""
    start, trans, end = (x.double() for x in effective(crf))
    emissions = emissions.double()
    alpha = start + emissions[:, 0]
    for t in range(1, emissions.shape[1]):
        step = torch.logsumexp(alpha[:, :, None] + trans, dim=1) + emissions[:, t]
        alpha = torch.where(mask[:, t, None], step, alpha)
    return torch.logsumexp(alpha + end, dim=1)


@pytest.mark.parametrize("scale", [30.0, 45.0, 60.0])
def test_long_confident_sequences_match_the_float64_recursion(scale):
    """Long constrained sequences with very confident logits, where the best label of one position is forced
    into a costly next move: log Z and its gradient equal a float64 logsumexp recursion."""
    crf = make_crf(5, 3, constrained=True)
    generator = torch.Generator().manual_seed(3)
    emissions = (scale * torch.randn(64, 20, 5, generator=generator)).requires_grad_()
    lengths = torch.randint(1, 21, (64,), generator=generator)
    mask = torch.arange(20)[None, :] < lengths[:, None]
    tags = torch.zeros(64, 20, dtype=torch.long)  # all O: allowed everywhere
    nll = crf.neg_log_likelihood(emissions, tags, mask, reduction="none")
    gold = torch.stack([path_scores(crf, emissions[b, : int(n)].detach(), tags[b, : int(n)][None])[0]
                        for b, n in enumerate(lengths)])  # fmt: skip
    reference = emissions.detach().double().requires_grad_()
    log_z = _reference_log_partition(crf, reference, mask)
    assert torch.allclose((nll.detach() + gold).double(), log_z.detach(), rtol=1e-5, atol=1e-2)
    nll.sum().backward()
    log_z.sum().backward()
    assert emissions.grad is not None and reference.grad is not None
    one_hot = torch.nn.functional.one_hot(tags, 5) * mask[:, :, None]  # the gold path's share of the gradient
    assert torch.allclose(emissions.grad.double() + one_hot, reference.grad, atol=1e-4)


def test_bf16_crf_and_autocast_keep_the_likelihood():
    crf = make_crf(5, 4, constrained=True)
    emissions, tags, mask, _ = random_batch(5, 4)
    exact = crf.neg_log_likelihood(emissions, tags, mask, reduction="none")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        cast = crf.neg_log_likelihood(emissions, tags, mask, reduction="none")
    assert torch.allclose(cast, exact, atol=1e-4)
    crf16 = make_crf(5, 4, constrained=True).to(torch.bfloat16)
    assert torch.isfinite(crf16.neg_log_likelihood(emissions.double(), tags, mask)).all()


@pytest.mark.parametrize("length", [1, 2, 4])
def test_probabilities_of_all_paths_sum_to_one(length):
    crf = make_crf(5, length)
    emissions = torch.randn(1, length, 5, generator=torch.Generator().manual_seed(length))
    paths = all_paths(5, length)
    nll = crf.neg_log_likelihood(emissions.expand(len(paths), -1, -1), paths, reduction="none")
    assert torch.logsumexp(-nll, dim=0).item() == pytest.approx(0.0, abs=1e-4)


def test_reductions_and_ignored_positions():
    crf = make_crf(5, 0)
    emissions, tags, mask, lengths = random_batch(5, 0)
    per_row = crf.neg_log_likelihood(emissions, tags, mask, reduction="none")
    assert crf.neg_log_likelihood(emissions, tags, mask, reduction="sum").item() == pytest.approx(per_row.sum().item())
    assert crf.neg_log_likelihood(emissions, tags, mask).item() == pytest.approx(per_row.sum().item() / 4)
    token_mean = crf.neg_log_likelihood(emissions, tags, mask, reduction="token_mean")
    assert token_mean.item() == pytest.approx(per_row.sum().item() / lengths.sum().item())
    # whatever sits outside the mask (tags or emissions) changes nothing
    other_tags = tags.masked_fill(~mask, 3)
    other_emissions = emissions.masked_fill(~mask[:, :, None], 50.0)
    assert torch.allclose(crf.neg_log_likelihood(other_emissions, other_tags, mask, reduction="none"), per_row)
    empty = torch.zeros(2, 4, dtype=torch.bool)
    assert crf.neg_log_likelihood(emissions[:2], tags[:2], empty, reduction="sum").item() == 0.0


class NLL(torch.nn.Module):
    def __init__(self, crf: CRF, tags: torch.Tensor, mask: torch.Tensor) -> None:
        super().__init__()
        self.crf, self.tags, self.mask = crf, tags, mask

    def forward(self, emissions: torch.Tensor) -> torch.Tensor:
        return self.crf.neg_log_likelihood(emissions, self.tags, self.mask, reduction="sum")


def test_gradients_match_finite_differences():
    nll = NLL(make_crf(5, 1, constrained=True).double(), *random_batch(5, 1)[1:3])
    emissions = random_batch(5, 1)[0].double()
    names = ("crf.start", "crf.transitions", "crf.end")

    def loss(emissions, *params):
        return torch.func.functional_call(nll, dict(zip(names, params, strict=True)), (emissions,))

    params = tuple(nll.get_parameter(name).detach().clone() for name in names)
    assert torch.autograd.gradcheck(loss, tuple(x.requires_grad_() for x in (emissions, *params)))


def test_training_reduces_nll_and_leaves_disallowed_moves_fixed():
    torch.manual_seed(0)
    inputs = torch.randn(16, 6, 8)
    tags = torch.tensor([[0, 1, 2, 3, 4, 0]] * 8 + [[4, 4, 0, 4, 1, 3]] * 8)
    mask = torch.ones(16, 6, dtype=torch.bool)
    mask[::3, 4:] = False
    tags = tags.masked_fill(~mask, -100)
    encoder = torch.nn.Linear(8, 5)
    crf = CRF(5, bioes_constraints(BIOES))
    disallowed_before = crf.transitions.detach()[~crf.transitions_allowed].clone()
    optimizer = torch.optim.Adam([*encoder.parameters(), *crf.parameters()], lr=0.05)
    losses = []
    for _ in range(30):
        loss = crf.neg_log_likelihood(encoder(inputs), tags, mask)
        optimizer.zero_grad()
        loss.backward()
        assert crf.transitions.grad is not None
        assert torch.all(crf.transitions.grad[~crf.transitions_allowed] == 0)
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert torch.equal(crf.transitions.detach()[~crf.transitions_allowed], disallowed_before)
    decoded = crf.decode(encoder(inputs), mask)
    assert decoded[1] == tags[1].tolist()
    assert decoded[0] == tags[0, :4].tolist()  # row 0 is masked after 4 positions


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("constrained", [False, True])
def test_decode_equals_brute_force_argmax(seed, constrained):
    crf = make_crf(5, seed, constrained)
    emissions, _, mask, lengths = random_batch(5, seed)
    paths = crf.decode(emissions, mask)
    for b, path in enumerate(paths):
        n = int(lengths[b])
        assert len(path) == n
        if n == 0:
            continue
        candidates = all_paths(5, n)
        scores = path_scores(crf, emissions[b, :n], candidates)
        best = scores.max()
        if constrained:  # every allowed path beats every disallowed one by thousands
            assert best > -1000
        assert path_scores(crf, emissions[b, :n], torch.tensor([path]))[0].item() == pytest.approx(best.item())


def test_decode_respects_constraints_against_strong_emissions():
    crf = CRF(5, bioes_constraints(BIOES))
    emissions = torch.zeros(3, 3, 5)
    emissions[0, :, 0] = torch.tensor([20.0, -20.0, 20.0])  # O
    emissions[0, 1, 2], emissions[0, 1, 4] = 20.0, 5.0  # argmax: the invalid "O I-A O"
    emissions[1, 0, 1], emissions[1, 1, 2], emissions[1, 1, 3] = 20.0, 20.0, 10.0  # argmax ends on I-A
    emissions[2, 0, 2], emissions[2, 0, 4] = 20.0, 1.0  # argmax starts on I-A
    mask = torch.tensor([[True, True, True], [True, True, False], [True, False, False]])
    assert crf.decode(emissions, mask) == [[0, 4, 0], [1, 3], [4]]


def test_constraints_travel_with_the_state_dict():
    crf = CRF(5, bioes_constraints(BIOES))
    state = crf.state_dict()
    assert {"start_allowed", "transitions_allowed", "end_allowed"} <= set(state)
    loaded = CRF(5)
    loaded.load_state_dict(state)
    assert torch.equal(loaded.transitions_allowed, crf.transitions_allowed)


def test_errors_are_reported():
    crf = CRF(5)
    emissions, tags, mask, _ = random_batch(5, 0)
    with pytest.raises(ValueError, match="left-aligned prefix"):
        crf.neg_log_likelihood(emissions, tags, torch.tensor([[False, True, True, True]] * 4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        crf.neg_log_likelihood(emissions, tags, mask, reduction="avg")
    with pytest.raises(ValueError, match="tags under the mask must lie in"):
        crf.neg_log_likelihood(emissions, tags.masked_fill(mask, 7), mask)
    with pytest.raises(ValueError, match=r"emissions must be \(B, T, 5\)"):
        crf.decode(emissions[..., :4], mask)
    with pytest.raises(ValueError, match="num_labels must be an int >= 1"):
        CRF(0)
    with pytest.raises(ValueError, match=r"start mask must have shape \(4,\)"):
        CRF(4, bioes_constraints(BIOES))
