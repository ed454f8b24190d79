"""Loading checkpoints with errors a user can act on: a missing folder, or one that holds no usable model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import DataError, MissingFileError

__all__ = ["load_pretrained"]


def load_pretrained(loader: Any, path: str | os.PathLike[str], **kwargs: Any) -> Any:
    """``loader.from_pretrained(path, **kwargs)`` (a transformers ``Auto*`` class, say), with user errors raised
    as ``MissingFileError`` (no such folder, and no such hub model) or ``DataError`` (a folder that holds no
    usable checkpoint).
    """
    name = str(path)
    local = Path(name).expanduser()
    try:
        return loader.from_pretrained(str(local) if local.exists() else name, **kwargs)
    except OSError as err:
        reason = _first_line(err)
        if not local.exists():
            raise MissingFileError(f"{name}: no such model directory ({reason})") from err
        raise DataError(f"{name}: cannot load a model from it ({reason})") from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
