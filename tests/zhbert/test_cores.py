"""Thread choice: the cores a process may use (affinity and cgroup quota), a request, or $ZHBERT_THREADS."""

from __future__ import annotations

import os

import pytest

from zhbert.cores import ThreadChoice, cgroup_quota, choose_threads, usable_cores


def test_cgroup_v2_quota_in_cores(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_quota(tmp_path) is None


def test_cgroup_v1_quota_in_cores(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(tmp_path) == 0.5
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_quota(tmp_path) is None


def test_no_cgroup_files_means_no_quota(tmp_path):
    assert cgroup_quota(tmp_path / "absent") is None


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_usable_cores_follow_affinity():
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert usable_cores() == 1
        assert choose_threads() == ThreadChoice(1, "the cores this process may use")
    finally:
        os.sched_setaffinity(0, before)


def test_request_and_environment(monkeypatch):
    monkeypatch.delenv("ZHBERT_THREADS", raising=False)
    assert choose_threads(3).threads == 3
    monkeypatch.setenv("ZHBERT_THREADS", "2")
    assert str(choose_threads()) == "2 threads ($ZHBERT_THREADS)"
    assert choose_threads(1).threads == 1  # a request wins over the environment
    monkeypatch.setenv("ZHBERT_THREADS", "two")
    with pytest.raises(ValueError, match=r"\$ZHBERT_THREADS must be a whole number >= 1, got 'two'"):
        choose_threads()
    with pytest.raises(ValueError, match="threads must be a whole number >= 1, got 0"):
        choose_threads(0)
