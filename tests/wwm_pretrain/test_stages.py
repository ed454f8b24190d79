"""wwm_pretrain.stages: a stage runs once, its record stands for it afterwards, and a rebuild is checked against
its record."""

from __future__ import annotations

import json

import pytest

from wwm_pretrain.stages import Stages
from zhbert.errors import UsageError


def test_a_stage_runs_once_and_its_record_stands_for_it(tmp_path, capsys):
    calls = []

    def stage(value: int):
        def run():
            calls.append(value)
            return {"value": value}

        return run

    first = Stages(tmp_path, total=2, log="build")
    assert first.run("data/legal", stage(1))["value"] == 1
    record = json.loads((tmp_path / "data__legal.json").read_text(encoding="utf-8"))
    assert record["value"] == 1 and {"seconds", "finished", "machine"} <= set(record)
    assert "build: [1/2] data/legal: done in" in capsys.readouterr().out

    again = Stages(tmp_path, total=2, log="build")
    assert again.run("data/legal", stage(2))["value"] == 1  # read back, not run
    assert calls == [1] and again.ran == [] and again.done("data/legal")
    assert again.run("data/legal", stage(3), force=True)["value"] == 3 and again.ran == ["data/legal"]

    cached = Stages(tmp_path, cached_only=True)
    assert cached.run("data/legal", stage(4), force=True)["value"] == 3  # cached_only runs nothing, forced or not
    assert cached.run("pretrain/none", stage(5)) == {} and cached.missing == ["pretrain/none"]
    assert calls == [1, 3]


def test_a_rebuild_that_differs_from_its_record_is_refused_or_reported(tmp_path, capsys):
    stages = Stages(tmp_path, log="build")
    stages.record("data", {"documents": 3, "laws": (1, 2)})
    stages.rebuild("data", lambda: {"documents": 3, "laws": [1, 2], "seconds": 9.0}, same=True)  # equal as JSON
    with pytest.raises(UsageError, match=r"data\.json: rebuilding stage data gave other documents than its record"):
        stages.rebuild("data", lambda: {"documents": 4, "laws": [1, 2]}, same=True)
    stages.rebuild("data", lambda: {"documents": 4, "laws": [1, 2]}, same=False)
    assert "differs from its record in documents (record kept)" in capsys.readouterr().out
    assert json.loads(stages.path("data").read_text(encoding="utf-8"))["documents"] == 3
