"""Overlapping entities: found and reported by every reader, which keeps them (a span head can learn nested
entities); made flat for a tagger, which holds one tag per character, by a stated policy.

Policies: ``"refuse"`` raises on the first overlap with its ``file:line``; ``"longest"`` keeps the longer of two
overlapping entities (the earlier one on a tie) and says how many it dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...errors import DataError, UsageError
from ...tagging.schemes import Span
from ..ner_example import NerExample
from .records import Overlap

__all__ = ["POLICIES", "find_overlaps", "flatten"]

POLICIES = ("refuse", "longest")


def find_overlaps(where: str, text: str, spans: Sequence[Span]) -> list[Overlap]:
    """Each pair of overlapping entities among ``spans`` (sorted, no duplicates) of one text."""
    pairs = []
    for i, first in enumerate(spans):
        for second in spans[i + 1 :]:
            if second[0] >= first[1]:
                break
            pairs.append(Overlap(where, first, second, text))
    return pairs


def _show(text: str, span: Span, inclusive_ends: bool) -> str:
    start, end, kind = span
    offsets = f"[{start}, {end - 1}]" if inclusive_ends else f"[{start}, {end})"
    return f"{kind} {text[start:end]!r} {offsets}"


def flatten(
    examples: Sequence[NerExample], policy: str = "refuse", inclusive_ends: bool = False, argument: str = "policy"
) -> tuple[list[NerExample], list[Overlap]]:
    """The examples with no two entities overlapping, and each dropped entity (``first``) with the one it lost to.

    Args:
        examples: examples whose entities may overlap.
        policy: ``"refuse"`` or ``"longest"`` (see the module).
        inclusive_ends: show offsets in messages as the file wrote them, with inclusive ends (CLUENER, CMeEE).
        argument: the name of the caller's argument that chooses ``"longest"``, for the message.

    Raises:
        DataError: with ``"refuse"``, two entities that overlap, with the ``file:line`` of their text.
        ValueError: an unknown ``policy``.
    """
    if policy not in POLICIES:
        raise UsageError(f"policy must be one of {', '.join(POLICIES)}; got {policy!r}", argument="policy")
    hint = "fix_tags keeps the longer one" if argument == "fix_tags" else f"{argument}='longest' keeps the longer one"
    flat: list[NerExample] = []
    dropped: list[Overlap] = []
    for example in examples:
        kept: list[Span] = []
        # Longest first, so that an outer entity wins over the one nested in it.
        for span in sorted(example.spans, key=lambda s: (s[0] - s[1], s[0], s[2])):
            clash = next((k for k in kept if span[0] < k[1] and k[0] < span[1]), None)
            if clash is None:
                kept.append(span)
                continue
            if policy == "refuse":
                a, b = sorted([clash, span])
                raise DataError(
                    f"{example.source}: {_show(example.text, a, inclusive_ends)} and "
                    f"{_show(example.text, b, inclusive_ends)} overlap; a tagger cannot hold nested entities "
                    f"({hint})",
                    argument=argument,
                )
            dropped.append(Overlap(example.source, span, clash, example.text))
        flat.append(NerExample(example.text, tuple(sorted(kept)), example.source))
    return flat, dropped
