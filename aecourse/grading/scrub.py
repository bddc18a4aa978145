"""The grading machine's paths, taken out of whatever a student gets back.

With its neutral mounts the jail shows student code almost nothing of the grading machine;
what still can show (the source folders of its read-only binds in ``/proc/self/mountinfo``, the
interpreter's build prefix, a message of the grader's own) is replaced by "…" in every output
the grader records (:class:`.execute.GradingExecute`) and again in the feedback.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
from pathlib import Path

KERNEL_FOLDERS = re.compile(re.escape(tempfile.gettempdir()) + r"/aecourse-(kernel|grading)-[A-Za-z0-9_]+")
NEUTRAL = {"/", "/tmp", "/usr", "/opt", "/home", "/data", "/run"}


@functools.lru_cache(maxsize=1)
def host_paths() -> tuple[str, ...]:
    """Folders of the grading machine that must not show, longest first."""
    from aecourse import paths
    from aecourse.grading.sandbox import kit_folder

    places = {sys.prefix, sys.base_prefix, str(Path.home()), os.getcwd(), str(kit_folder().parent),
              str(paths.data_dir()), os.environ.get("AECOURSE_COURSE_ROOT", "")}
    places |= {str(Path(p).resolve()) for p in places if p}
    return tuple(sorted((p for p in places if p and p not in NEUTRAL), key=len, reverse=True))


def scrub(text: str) -> str:
    text = KERNEL_FOLDERS.sub("…", text)
    for place in host_paths():
        text = text.replace(place, "…")
    return text


def scrub_output(output):
    """A notebook output (or None) without the grading machine's paths."""
    if output is None:
        return output
    if "text" in output:
        output.text = scrub(output.text)
    if "evalue" in output:
        output.evalue = scrub(output.evalue)
        output.traceback = [scrub(line) for line in output.get("traceback", [])]
    for kind, value in output.get("data", {}).items():
        if isinstance(value, str) and kind.startswith("text/"):
            output.data[kind] = scrub(value)
    return output
