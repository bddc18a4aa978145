"""The jail's control groups (aecourse.grading.limits): a grader's cleanup of stale groups never
removes a live grader's group (two graders run side by side on every `make grade`)."""

import os
import subprocess
import sys

import pytest

from aecourse.grading import limits


@pytest.fixture
def groups():
    if limits.unavailable():
        pytest.skip(limits.unavailable())
    made = []
    yield made
    for group in made:
        group.close()


def test_a_new_group_keeps_a_live_graders_group(groups):
    first = limits.JailGroup(memory_bytes=2 ** 30, pids=64)
    groups.append(first)
    groups.append(limits.JailGroup(memory_bytes=2 ** 30, pids=64))  # cleans up stale groups first
    assert all(folder.is_dir() for folder in first.folders.values()), "a live grader's group was removed"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        # a process joins the group, as the jail's first process does
        subprocess.run([sys.executable, "-c", f"open({str(first.folders['pids'] / 'cgroup.procs')!r}, 'w')"
                        f".write(str({child.pid}))"], check=True)
        procs = (first.folders["pids"] / "cgroup.procs").read_text().split()
        assert str(child.pid) in procs
    finally:
        child.kill()
        child.wait()


def test_a_dead_graders_group_is_removed(groups):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [parent / f"jail-{dead.pid}-0000dead" for parent in dict.fromkeys(limits.parents().values())]
    for folder in stale:
        folder.mkdir()
    groups.append(limits.JailGroup(memory_bytes=2 ** 30, pids=64))
    assert not any(folder.exists() for folder in stale)


@pytest.mark.parametrize("name, alive", [(f"jail-{os.getpid()}-ab12", True), ("jail-x-ab12", False), ("jail", False)])
def test_owner_alive(name, alive):
    assert limits.owner_alive(name) is alive


def test_a_machine_without_control_groups_is_said_once_with_the_fix(monkeypatch):
    """A normal user on a cgroup-v1 machine grades with per-process limits only: the grader says so."""
    said = []
    monkeypatch.setattr(limits, "_warned", False)
    monkeypatch.setattr(limits, "unavailable", lambda: "no control group here. " + limits.FIX)
    limits.warn_if_unavailable(said.append)
    limits.warn_if_unavailable(said.append)
    assert len(said) == 1 and said[0].startswith("WARNING: no control group") and "systemd-run" in said[0]


def test_nothing_is_said_where_jails_get_their_group(monkeypatch):
    said = []
    monkeypatch.setattr(limits, "_warned", False)
    monkeypatch.setattr(limits, "unavailable", lambda: None)
    limits.warn_if_unavailable(said.append)
    assert said == []
