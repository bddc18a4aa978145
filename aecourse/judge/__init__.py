"""Hidden tests judged outside the student's interpreter.

At grading time a test cell's visible part runs in the student's (sandboxed) kernel, as the
student saw it; its hidden part never does. After the notebook has run, the grader's process
(:mod:`.phase`) runs each hidden part itself: the hidden code asks the kernel, through the agent
(:mod:`.agent`, the only judge code inside the kernel), to evaluate the student's functions and
models on inputs it draws from a seed the kernel never sees, gets arrays back (:mod:`.wire`:
data only), and decides the verdict from them with values it computes itself (:mod:`.judge`).

A hidden block opens by importing ``session`` from this package and calling it on the
notebook's globals, which gives the pair ``(student, judge)``.

At grading, the grader runs the block with ``student`` reaching the kernel. In a notebook run by
the instructor (the solutions, the mutation benchmark), ``session`` judges that notebook's own
globals in the same interpreter, over the same wire format, with fresh random inputs.
"""

from __future__ import annotations

#: The key under which the grader hands a block its (student, judge) pair.
SESSION_KEY = "__aecourse_judge_session__"
#: Outside grading, a notebook global that seeds the hidden tests' inputs (the mutation benchmark
#: sets it); without it, every run draws fresh inputs.
LOCAL_SEED_KEY = "__aecourse_judge_seed__"


def session(namespace):
    """(student, judge) for a block of hidden tests: the grader's, while grading; else
    a judge of ``namespace`` (the notebook's globals) in this interpreter, with fresh inputs."""
    given = namespace.get(SESSION_KEY)
    if given is not None:
        return given
    import numpy as np

    from aecourse.judge.judge import Judge
    from aecourse.judge.remote import LocalLink, Session, Student

    link = Session(LocalLink(namespace))
    return Student(link), Judge(link, np.random.default_rng(namespace.get(LOCAL_SEED_KEY)))
