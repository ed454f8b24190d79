"""Lazy package attributes (PEP 562): a package names what it exports and from which module, and each module is
imported on first use, so ``import zhbert`` (or ``zhbert.models``, ``zhbert.export``) stays cheap and imports
neither torch nor onnxruntime until a name that needs them is read."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, exports: Mapping[str, str], names: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``.

    Args:
        package: the package's ``__name__``.
        exports: each exported name and its module: absolute (``"zhbert.api"``) or relative (``".exporter"``).
        names: the package's ``__all__``, which ``dir()`` lists.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    def __dir__() -> list[str]:
        return sorted(set(names))

    return __getattr__, __dir__
