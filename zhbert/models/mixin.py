"""Give a model instance extra behaviour by putting a mix-in class in front of its own, keeping its class name."""

from __future__ import annotations

from torch import nn

__all__ = ["mix_in"]

_MIXED: dict[tuple[type, type], type] = {}


def mix_in(model: nn.Module, mixin: type) -> nn.Module:
    """Put ``mixin`` in front of ``model``'s class, in place, keeping the class name.

    ``save_pretrained`` records the class name as the architecture, so what is saved stays a plain
    transformers checkpoint.
    """
    base = type(model)
    if issubclass(base, mixin):
        return model
    cls = _MIXED.get((mixin, base))
    if cls is None:
        cls = type(base.__name__, (mixin, base), {"__module__": base.__module__})
        _MIXED[(mixin, base)] = cls
    model.__class__ = cls
    return model
