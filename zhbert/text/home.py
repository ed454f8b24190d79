"""zhbert's home folder, ``$ZHBERT_HOME`` (by default ``~/.cache/zhbert``): jieba's dictionary cache, prepared
pretraining corpora and the demo's model set live under it."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import UsageError

__all__ = ["private_cache_dir", "zhbert_home"]


def zhbert_home(*parts: str) -> Path:
    """``$ZHBERT_HOME`` joined with ``parts``, ``~`` expanded; an unset or empty variable means ``~/.cache/zhbert``.

    Nothing is created: ``private_cache_dir`` makes a folder of one's own under it.
    """
    home = os.environ.get("ZHBERT_HOME") or Path.home() / ".cache" / "zhbert"
    return Path(home).expanduser().joinpath(*parts)


def private_cache_dir(name: str) -> Path:
    """``zhbert_home(name)``, created readable by its owner alone (mode 0700).

    Raises:
        UsageError: the folder exists but belongs to another user or others may write to it.
    """
    folder = zhbert_home(name)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = folder.stat()
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        raise UsageError(f"{folder}: the cache folder belongs to another user or others may write to it")
    return folder
