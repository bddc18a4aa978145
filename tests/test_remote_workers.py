"""Grading on a Dask cluster of its own (``aecourse-grade --scheduler``), as a class that outgrows
one machine would: a scheduler and a worker started as separate processes, talking TCP, the worker
in a folder of its own with no course folder in its environment. Scores are those of local grading.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aecourse.course import Course
from aecourse.grading.parallel import ClassGrader
from aecourse.paths import data_dir

MNIST = "mnist_autoencoders"
DASK = Path(sys.executable).with_name("dask")


def start(command, cwd, env, log):
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_for(path, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            return json.loads(path.read_text())
        time.sleep(0.5)
    raise TimeoutError(f"{path} was not written in {seconds} s")


@pytest.mark.grading
def test_a_class_grades_on_a_separate_dask_cluster(tmp_path):
    course = Course.copy_of(tmp_path / "course", assignments=(MNIST,))
    course.submit("solution", MNIST, course.notebook("source", MNIST))
    course.submit("untouched", MNIST, course.generate_release(MNIST))
    cluster = tmp_path / "cluster"
    cluster.mkdir()
    # What a remote node has: the kit (this interpreter's environment) and its data, no course.
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("AECOURSE_") and name not in ("PWD", "OLDPWD")}
    env["AECOURSE_DATA"] = str(data_dir())
    scheduler_file = cluster / "scheduler.json"
    with open(cluster / "cluster.log", "w") as log:
        scheduler = start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                           "--scheduler-file", str(scheduler_file)], cluster, env, log)
        worker = None
        try:
            address = wait_for(scheduler_file)["address"]
            worker = start([str(DASK), "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                            "--nworkers", "1", "--no-dashboard", "--local-directory", str(cluster / "worker")],
                           cluster, env, log)
            outcomes = ClassGrader(course, scheduler=address, progress=False).grade([MNIST])
        finally:
            for process in (worker, scheduler):
                if process is not None:
                    stop(process)
    log_text = (cluster / "cluster.log").read_text()
    assert "Starting worker" in log_text or "Start worker" in log_text, log_text[-2000:]
    assert outcomes, "nothing was graded"
    solution, untouched = course.summary(MNIST, "solution"), course.summary(MNIST, "untouched")
    assert solution["code_score"] == solution["max_code_score"] > 0
    assert untouched["code_score"] == 0
    assert not any(Path(cluster).rglob("gradebook.db")), "the worker never holds the gradebook"
