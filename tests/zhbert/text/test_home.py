"""zhbert.text.home: the one reading of $ZHBERT_HOME."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from zhbert.errors import UsageError
from zhbert.text import zhbert_home
from zhbert.text.home import private_cache_dir


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Path.home() / ".cache" / "zhbert"),
        ("", Path.home() / ".cache" / "zhbert"),  # empty is unset, not the working folder
        ("~/zh", Path.home() / "zh"),
        ("/srv/zhbert", Path("/srv/zhbert")),
    ],
)
def test_zhbert_home(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("ZHBERT_HOME", raising=False)
    else:
        monkeypatch.setenv("ZHBERT_HOME", value)
    assert zhbert_home() == expected
    assert zhbert_home("datasets", "x") == expected / "datasets" / "x"


def test_private_cache_dir_is_the_owners_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHBERT_HOME", str(tmp_path / "home"))
    folder = private_cache_dir("jieba")
    assert folder == tmp_path / "home" / "jieba" and stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o777)
    with pytest.raises(UsageError, match="others may write to it"):
        private_cache_dir("jieba")
