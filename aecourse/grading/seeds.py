"""Seeds for hidden tests: drawn at grading time, the same every time the same notebook is graded.

Every student gets their own hidden-test inputs, derived from a course secret and the
student's ID (so no one can compute another student's inputs, and nothing fixed can be
hard-coded), and a disputed grade can be reproduced exactly by grading again.

The secret lives in ``.grading_secret`` in the course root (created on first use, readable
by the instructor only; outside the sandbox, so student code never sees it), or comes from
``AECOURSE_GRADING_SECRET``. Neither the secret nor the derived seeds enter the kernel: the
judge (:mod:`aecourse.judge.phase`) draws each hidden test's inputs in the grader's process,
from :func:`cell_seed`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = ".grading_secret"
SECRET_ENV_NAME = "AECOURSE_GRADING_SECRET"  # the secret itself, when the grader's environment holds it


def course_secret(course_root) -> bytes:
    """The course's grading secret; created (mode 0600) on first use."""
    if os.environ.get(SECRET_ENV_NAME):
        return os.environ[SECRET_ENV_NAME].encode()
    path = Path(course_root) / SECRET_FILE
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def notebook_seed(secret: bytes, assignment: str, student: str) -> int:
    """A 63-bit seed for one student's notebook of one assignment."""
    digest = hmac.new(secret, f"{assignment}\0{student}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def cell_seed(notebook_seed_value: int, cell_id: str) -> list[int]:
    """Entropy for one test cell's generator (numpy SeedSequence input)."""
    return [notebook_seed_value, int.from_bytes(hashlib.sha256(cell_id.encode()).digest()[:8], "big")]
