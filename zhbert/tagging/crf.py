"""Linear-chain CRF head: negative log-likelihood by the forward algorithm, decoding by constrained Viterbi.

    scheme, constraints = scheme_constraints(id2label)
    crf = CRF(len(id2label), constraints=constraints)
    loss = crf.neg_log_likelihood(logits, labels, attention_mask.bool())   # logits (B, T, L)
    paths = crf.decode(logits, attention_mask.bool())                      # list of label-id lists

With constraints, disallowed starts, transitions and ends score a fixed ``-10000`` in the likelihood (not
learned) and are impossible in decoding, so decoded paths are always valid in the labels' scheme (IOB2, BIOES or
BMES).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..errors import UsageError
from .viterbi import constrained_viterbi

__all__ = ["CRF"]

_DISALLOWED = -10000.0
_REDUCTIONS = ("mean", "sum", "token_mean", "none")


class CRF(nn.Module):
    """Linear-chain conditional random field over ``num_labels`` labels.

    Args:
        num_labels: number of labels ``L``.
        constraints: optional ``(start, transitions, end)`` boolean masks, e.g. from ``scheme_constraints``;
            kept as buffers, so they are saved and loaded with the state dict.
    """

    start_allowed: torch.Tensor
    transitions_allowed: torch.Tensor
    end_allowed: torch.Tensor

    def __init__(self, num_labels: int, constraints: Sequence[torch.Tensor] | None = None) -> None:
        super().__init__()
        if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
            raise UsageError(f"num_labels must be an int >= 1, got {num_labels!r}")
        self.num_labels = num_labels
        self.transitions = nn.Parameter(torch.empty(num_labels, num_labels).uniform_(-0.1, 0.1))  # [from, to]
        self.start = nn.Parameter(torch.empty(num_labels).uniform_(-0.1, 0.1))
        self.end = nn.Parameter(torch.empty(num_labels).uniform_(-0.1, 0.1))
        shapes = ((num_labels,), (num_labels, num_labels), (num_labels,))
        if constraints is None:
            ones = torch.ones(num_labels + 1, num_labels, dtype=torch.bool)
            constraints = (ones[0], ones[1:], ones[0])
        if len(constraints) != 3:
            raise UsageError(f"constraints must be (start, transitions, end), got {len(constraints)} tensors")
        for name, mask, shape in zip(("start", "transitions", "end"), constraints, shapes, strict=True):
            if tuple(mask.shape) != shape:
                raise UsageError(f"constraints: {name} mask must have shape {shape}, got {tuple(mask.shape)}")
            self.register_buffer(f"{name}_allowed", mask.detach().clone().bool())

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Start, transition and end scores with the disallowed entries fixed to ``-10000``."""
        return (
            self.start.masked_fill(~self.start_allowed, _DISALLOWED),
            self.transitions.masked_fill(~self.transitions_allowed, _DISALLOWED),
            self.end.masked_fill(~self.end_allowed, _DISALLOWED),
        )

    def _check(self, emissions: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if emissions.dim() != 3 or emissions.shape[-1] != self.num_labels:
            raise UsageError(f"emissions must be (B, T, {self.num_labels}), got shape {tuple(emissions.shape)}")
        if mask is None:
            return torch.ones(emissions.shape[:2], dtype=torch.bool, device=emissions.device)
        if mask.shape != emissions.shape[:2]:
            raise UsageError(f"mask must have shape {tuple(emissions.shape[:2])}, got {tuple(mask.shape)}")
        mask = mask.to(device=emissions.device, dtype=torch.bool)
        if bool((mask[:, 1:] & ~mask[:, :-1]).any()):
            raise UsageError("mask must be a left-aligned prefix in each row (True then False)")
        return mask

    def neg_log_likelihood(
        self,
        emissions: torch.Tensor,
        tags: torch.Tensor,
        mask: torch.Tensor | None = None,
        reduction: str = "mean",
    ) -> torch.Tensor:
        """Negative log-likelihood of the gold tags, ``log Z - score(tags)``, per sequence then reduced.

        Args:
            emissions: ``(B, T, L)`` emission scores (the token classifier's logits).
            tags: ``(B, T)`` gold label ids; positions outside ``mask`` are ignored (may hold -100).
            mask: ``(B, T)`` bool, True on real positions, a left-aligned prefix per row; ``None`` means all.
                A row with no True position contributes 0.
            reduction: ``"mean"`` over the ``B`` sequences, ``"sum"``, ``"token_mean"`` (sum over the number
                of real positions) or ``"none"`` (a ``(B,)`` tensor).

        Returns:
            The reduced loss, a scalar tensor (``(B,)`` for ``"none"``).

        Raises:
            ValueError: shapes disagree, the mask is not a prefix, a gold tag is out of range, or ``reduction``
                is unknown.
        """
        if reduction not in _REDUCTIONS:
            raise UsageError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        mask = self._check(emissions, mask)
        if tags.shape != mask.shape:
            raise UsageError(f"tags must have shape {tuple(mask.shape)}, got {tuple(tags.shape)}")
        tags = tags.to(emissions.device).long().masked_fill(~mask, 0)
        if bool(((tags < 0) | (tags >= self.num_labels)).any()):
            raise UsageError(f"tags under the mask must lie in [0, {self.num_labels}), got {tags[mask].tolist()}")
        emissions = emissions.to(torch.promote_types(emissions.dtype, torch.float32))
        batch, seq_len, _ = emissions.shape
        lengths = mask.sum(dim=1)  # (B,)
        nonempty = lengths > 0
        if seq_len == 0:
            per_row = emissions.sum(dim=(1, 2))  # zeros of shape (B,) that keep the graph
        else:
            start, trans, end = self._scores()
            per_row = self._log_partition(emissions, mask, start, trans, end)
            per_row = per_row - self._path_score(emissions, tags, mask, start, trans, end)
            per_row = per_row.masked_fill(~nonempty, 0.0)
        if reduction == "none":
            return per_row
        if reduction == "sum":
            return per_row.sum()
        if reduction == "mean":
            return per_row.sum() / max(batch, 1)
        return per_row.sum() / lengths.sum().clamp(min=1)

    @staticmethod
    def _path_score(
        emissions: torch.Tensor,
        tags: torch.Tensor,
        mask: torch.Tensor,
        start: torch.Tensor,
        trans: torch.Tensor,
        end: torch.Tensor,
    ) -> torch.Tensor:
        emitted = emissions.gather(2, tags[:, :, None]).squeeze(2)  # (B, T)
        score = (emitted * mask).sum(dim=1) + start[tags[:, 0]]  # (B,)
        moves = trans[tags[:, :-1], tags[:, 1:]]  # (B, T-1)
        score = score + (moves * mask[:, 1:]).sum(dim=1)
        last = tags.gather(1, (mask.sum(dim=1) - 1).clamp(min=0)[:, None]).squeeze(1)  # (B,)
        return score + end[last]

    @staticmethod
    def _log_partition(
        emissions: torch.Tensor, mask: torch.Tensor, start: torch.Tensor, trans: torch.Tensor, end: torch.Tensor
    ) -> torch.Tensor:
        # The sum over the previous label, logsumexp_i(alpha_i + trans_ij), is taken as a (B, L) @ (L, L) product
        # of probabilities scaled by each row's largest alpha: no (B, L, L) exponential at every position, which
        # was most of the CRF's time. The product runs in float64 (autocast leaves float64 alone), so a label
        # up to 708 nats below the row's best keeps its weight; disallowed moves (-10000) are exact zeros.
        shift = trans.detach().max()
        moves = torch.exp((trans - shift).double())  # (L, L)
        tiny = torch.finfo(torch.float64).tiny
        alpha = start + emissions[:, 0]  # (B, L)
        for t in range(1, emissions.shape[1]):
            top = alpha.detach().amax(dim=1, keepdim=True)  # (B, 1): a constant, so gradients stay exact
            reach = torch.exp((alpha - top).double()) @ moves  # (B, L)
            step = torch.log(reach.clamp_min(tiny)).to(alpha.dtype) + (top + shift) + emissions[:, t]
            alpha = torch.where(mask[:, t, None], step, alpha)
        return torch.logsumexp(alpha + end, dim=1)  # (B,)

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T, L)``: the probability of each label at each position over all label paths (forward-backward,
        computed as the gradient of the log partition with respect to the emissions); 0 at masked positions.
        The weights are not trained by it, and it runs outside ``torch.inference_mode``."""
        mask = self._check(emissions, mask)
        start, trans, end = (s.detach().float() for s in self._scores())
        with torch.inference_mode(False), torch.enable_grad():
            scores = emissions.detach().float().clone().requires_grad_(True)
            log_z = self._log_partition(scores, mask.clone(), start.clone(), trans.clone(), end.clone())
            (grad,) = torch.autograd.grad(log_z.sum(), scores)
        return grad * mask[..., None]

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> list[list[int]]:
        """The highest-scoring label path of each sequence, respecting the constraints.

        Args:
            emissions: ``(B, T, L)`` emission scores.
            mask: ``(B, T)`` bool, a left-aligned prefix per row; ``None`` means all positions are real.

        Returns:
            One list of label ids per sequence, as long as its mask (``[]`` for an all-False row).
        """
        mask = self._check(emissions, mask)
        start, trans, end = self._scores()
        allowed = (self.start_allowed, self.transitions_allowed, self.end_allowed)
        return constrained_viterbi(emissions, mask.sum(dim=1), allowed, trans, start_scores=start, end_scores=end)
