"""Limits for a whole jail (all its processes together), through a control group per kernel.

A per-process limit does not stop a fork bomb or a hundred processes of 1 GB each; a control
group counts the jail as one: at most ``pids`` processes and threads, at most ``memory_bytes``
of memory (its tmpfs folders included), beyond which the kernel is killed and the notebook
ends with the reason. Both cgroup versions work: v1 (``/sys/fs/cgroup/pids`` and ``memory``)
and v2 (one unified tree).

Where the machine does not let the grader make control groups (a container without a
writable ``/sys/fs/cgroup``, a user without a delegated subtree), :func:`unavailable` says so
with the fix, and the jail falls back on per-process limits only (address space, file size; a
process limit ``RLIMIT_NPROC`` for a normal user: it counts all of that user's processes, and
root ignores it).
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
import uuid
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP = "aecourse-grading"
FIX = ("Grade as root, or on a machine where the grader may create control groups under "
       f"{CGROUP_ROOT} (systemd: `systemd-run --user --scope -p Delegate=yes aecourse-grade ...`; "
       "a container: run it with a writable cgroup mount, e.g. Docker `--cgroupns=private`).")


def unified() -> bool:
    return (CGROUP_ROOT / "cgroup.controllers").exists()


def parents() -> dict[str, Path]:
    """{controller: the folder this kit's jails are made in}. ``cpu``, where there is one, only shares
    the processor fairly between jails (a jail that spins 500 processes gets one jail's share)."""
    if unified():
        return {"pids": CGROUP_ROOT / GROUP, "memory": CGROUP_ROOT / GROUP}
    found = {name: CGROUP_ROOT / name / GROUP for name in ("pids", "memory")}
    if (CGROUP_ROOT / "cpu" / "cgroup.procs").exists():
        found["cpu"] = CGROUP_ROOT / "cpu" / GROUP
    return found


@functools.lru_cache(maxsize=1)
def unavailable() -> str | None:
    """None when jails get their control group; else what is not enforced, and the fix."""
    try:
        probe = JailGroup(memory_bytes=2 ** 30, pids=64)
        probe.close()
    except OSError as error:
        return (f"the grading jail cannot have a control group here ({error.strerror}: {error.filename}): "
                "the limits on processes (a fork bomb) and total memory hold per process only, not per jail. "
                + FIX)
    return None


_warned = False


def warn_if_unavailable(write=None) -> None:
    """Say once per process, with the fix, that jails get per-process limits only here."""
    global _warned
    missing = unavailable()
    if missing and not _warned:
        _warned = True
        (write or (lambda text: print(text, file=sys.stderr, flush=True)))(f"WARNING: {missing}")


class JailGroup:
    """One control group: made with its limits, entered by the jail's first process, emptied and
    removed by :meth:`close`."""

    def __init__(self, memory_bytes: int, pids: int):
        self.folders = {}
        name = f"jail-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for controller, parent in parents().items():
            folder = parent / name
            if folder not in self.folders.values():
                self._prepare(parent)
                folder.mkdir()
            self.folders[controller] = folder
        try:
            self._write("pids", "pids.max", pids)
            if unified():
                self._write("memory", "memory.max", memory_bytes)
                self._write("memory", "memory.swap.max", 0, optional=True)
            else:
                self._write("memory", "memory.limit_in_bytes", memory_bytes)
                self._write("memory", "memory.memsw.limit_in_bytes", memory_bytes, optional=True)
        except OSError:
            self.close()
            raise

    @staticmethod
    def _prepare(parent: Path):
        parent.mkdir(exist_ok=True)
        if unified():
            controllers = (parent.parent / "cgroup.controllers").read_text().split()
            (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in ("pids", "memory", "cpu")
                                                                     if c in controllers))
        for stale in parent.glob("jail-*"):  # left behind by a grader that was killed
            if not owner_alive(stale.name):  # another grader's jail, just made, is not stale
                with_no_error(stale.rmdir)

    def _write(self, controller, name, value, optional=False):
        try:
            (self.folders[controller] / name).write_text(str(value))
        except OSError:
            if not optional:
                raise

    def enter(self) -> None:
        """Move the calling process into the group (call it in the jail's first process)."""
        for folder in dict.fromkeys(self.folders.values()):
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def killed_for_memory(self) -> bool:
        """True when the memory limit was hit (the kernel's death was an out-of-memory kill)."""
        folder = self.folders.get("memory")
        try:
            if unified():
                events = dict(line.split() for line in (folder / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0
            control = dict(line.split() for line in (folder / "memory.oom_control").read_text().splitlines())
            return int(control.get("oom_kill", 0)) > 0 or int((folder / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError, AttributeError):
            return False

    def close(self) -> None:
        """Kill whatever still runs in the group, then remove it."""
        for folder in dict.fromkeys(self.folders.values()):
            for _ in range(50):
                try:
                    pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                for pid in pids:
                    with_no_error(os.kill, pid, signal.SIGKILL)
                if with_no_error(folder.rmdir):
                    break
                time.sleep(0.02)


def owner_alive(name: str) -> bool:
    """Whether the process that made the group ``jail-<pid>-<id>`` still runs."""
    try:
        os.kill(int(name.split("-")[1]), 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def with_no_error(function, *args) -> bool:
    try:
        function(*args)
        return True
    except OSError:
        return False
