"""Grade a whole class in parallel, with nbgrader writing the gradebook as it always does.

Running a notebook is the only slow step of autograding, so it is the only one spread out:

1. *stage* (here): each submission is staged (:mod:`.intake`) and prepared with nbgrader's
   own sanitizing steps (clear outputs, restore locked and test cells from the gradebook);
2. *run* (on Dask workers): each prepared notebook runs in the sandbox
   (:class:`.execute.GradingExecute`), anywhere a worker lives; a task carries the notebook
   and the student's other files, and gives back the executed notebook;
3. *record* (here, one process): ``nbgrader autograde`` grades the staged submissions with
   its Execute step replaced by a replay of the workers' outputs, so scores, timestamps,
   late penalties, autograded/ and the gradebook are exactly what serial nbgrader writes;
   then ``nbgrader generate_feedback`` and ``nbgrader export``.

Workers come from Dask distributed: a local cluster (one worker per core) by default, or any
scheduler (``--scheduler tcp://host:8786``: dask-jobqueue on Slurm, Dask on Kubernetes...);
remote workers need the kit and its data installed, not the course folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from aecourse.grading import execute, intake, limits, sandbox, seeds

STATE_FILE = "autograded/.aecourse_grading_state.json"


@dataclass
class Job:
    assignment: str
    student: str
    notebook: str
    payload: dict
    notes: list = field(default_factory=list)


@dataclass
class Outcome:
    assignment: str
    student: str
    score: float | None = None
    max_score: float | None = None
    problems: list = field(default_factory=list)
    seconds: float = 0.0


# -- 2. run: the task a Dask worker executes -----------------------------------------------
def run_notebook(payload: dict) -> dict:
    """Run one prepared notebook in the sandbox; {"notebook": json, "seconds": s, "error": str|None}
    (and ``"grader_failure": True`` when the machine, not the submission, failed).

    ``payload`` (plain data, so that any Dask worker can take it): ``assignment``, ``student``,
    ``name`` (the notebook's), ``files`` ({path in the hand-in: bytes}), ``notebook`` (the prepared
    notebook's JSON), ``options`` ({GradingExecute trait: value} for :data:`TASK_OPTIONS`) and
    ``seed`` (the notebook's hidden-test seed)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="aecourse-grading-") as folder:
        workdir = Path(folder) / "work"
        workdir.mkdir()
        for relative, content in payload["files"].items():
            target = workdir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        notebook = nbformat.reads(payload["notebook"], as_version=4)
        resources = {"metadata": {"path": str(workdir)}, "aecourse": {"seed": payload["seed"]},
                     "nbgrader": {"student": payload["student"], "assignment": payload["assignment"],
                                  "notebook": payload["name"]}}
        preprocessor = execute.GradingExecute(**payload["options"], warn_missing_limits=False)
        error = None
        try:
            with execute.environment({"NBGRADER_EXECUTION": "autograde"}):
                notebook, _ = preprocessor.preprocess(notebook, resources)
        except (execute.GraderFailure, sandbox.SandboxUnavailable) as failure:  # the grading machine's: no score
            return {"notebook": payload["notebook"], "seconds": time.monotonic() - started, "error": str(failure),
                    "grader_failure": True}
        except Exception as failure:  # the grader's own trouble: every test cell says so
            error = f"{type(failure).__name__}: {failure}"
            notebook = nbformat.reads(payload["notebook"], as_version=4)
            for cell in notebook.cells:
                if execute.is_test_cell(cell):
                    cell.outputs = [execute.error_output("GradingError", f"this notebook could not be graded: {error}")]
    return {"notebook": nbformat.writes(notebook), "seconds": time.monotonic() - started, "error": error}


# -- 1. stage ------------------------------------------------------------------------------
#: The GradingExecute traits a worker's task carries (the course's values, else the traits' defaults).
TASK_OPTIONS = ("cell_timeout", "notebook_timeout", "setup_timeout", "figures")


def grading_options(config) -> dict:
    """{option: value} of :data:`TASK_OPTIONS`, read as GradingExecute itself reads its configuration."""
    configured = execute.GradingExecute(config=config)
    return {name: getattr(configured, name) for name in TASK_OPTIONS}


def load_course_config(root: Path):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def sanitize_steps(config) -> list:
    """The preprocessors nbgrader's autograde sanitizes a submission with, in its order: the
    course's ``Autograde.sanitize_preprocessors`` if set, else nbgrader's default list."""
    from nbgrader.converters import Autograde

    configured = config.Autograde.get("sanitize_preprocessors") if "Autograde" in config else None
    return list(configured or Autograde.class_traits()["sanitize_preprocessors"].default())


def prepare(notebook_path: Path, config, db_url: str, assignment: str, student: str, name: str):
    """The notebook as nbgrader's autograde will run it: its sanitizing steps, in its order."""
    notebook = nbformat.read(notebook_path, as_version=4)
    resources = {"unique_key": name, "nbgrader": {"student": student, "assignment": assignment,
                                                   "notebook": name, "db_url": db_url}}
    for step in sanitize_steps(config):
        notebook, resources = step(config=config).preprocess(notebook, resources)
    return notebook


def submission_digest(folder: Path, extra: str) -> str:
    """A digest of a hand-in's plain files, and of the names of what else it holds (never followed)."""
    digest = hashlib.sha256(extra.encode())
    for path in sorted(intake.handin.walk(folder)):
        digest.update(str(path.relative_to(folder)).encode())
        if intake.handin.refusal(path) is None:
            digest.update(path.read_bytes())
    return digest.hexdigest()


class ClassGrader:
    """Autograde every submission of a course root: stage, run in parallel, record with nbgrader."""

    def __init__(self, course, workers=None, scheduler=None, force=False, progress=True):
        self.course = course
        self.root = course.root
        self.workers = workers or os.cpu_count() or 1
        self.scheduler = scheduler
        self.force = force
        self.progress = progress
        self.config = load_course_config(self.root)
        self.options = grading_options(self.config)
        self.secret = seeds.course_secret(self.root)
        self.state_path = self.root / STATE_FILE

    # which submissions
    def students(self, assignment):
        folder = self.root / "submitted"
        return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir())

    def release_notebooks(self, assignment):
        return {p.stem: p for p in sorted((self.root / "release" / assignment).glob("*.ipynb"))}

    def grade_ids_by_assignment(self, assignments):
        return {a: set().union(*(intake.grade_ids(nbformat.read(p, as_version=4))
                                 for p in self.release_notebooks(a).values()))
                for a in assignments}

    def _state(self):
        return json.loads(self.state_path.read_text()) if self.state_path.exists() else {}

    def _fingerprint(self, assignment, student):
        source = "".join(p.read_text() for p in sorted((self.root / "source" / assignment).glob("*.ipynb")))
        return submission_digest(self.root / "submitted" / student / assignment,
                                 hashlib.sha256(source.encode()).hexdigest())

    def say(self, message):
        if self.progress:
            print(message, flush=True)

    def select(self, assignments, student_pattern, state):
        """[(assignment, student, fingerprint)] of the submissions to grade now."""
        import fnmatch

        selected = []
        for assignment in assignments:
            for student in self.students(assignment):
                if not fnmatch.fnmatch(student, student_pattern):
                    continue
                fingerprint = self._fingerprint(assignment, student)
                graded = (self.root / "autograded" / student / assignment).is_dir()
                if self.force or not graded or state.get(assignment, {}).get(student) != fingerprint:
                    selected.append((assignment, student, fingerprint))
        return selected

    def grade(self, assignments, student_pattern="*"):
        """Grade; returns [Outcome] for every submission graded now (the unchanged are skipped)."""
        if not sandbox.unsafe_no_sandbox():
            sandbox.check_available()
            limits.warn_if_unavailable()
        state = self._state()
        selected = self.select(assignments, student_pattern, state)
        if not selected:
            return []
        started = time.monotonic()
        staging = Path(tempfile.mkdtemp(prefix=".grading-", dir=self.root))
        replay = staging / "replay"
        outcomes = {(a, s): Outcome(a, s) for a, s, _ in selected}
        others = self.grade_ids_by_assignment(assignments)
        try:
            with self._client() as client:
                # Stage while the workers start; each notebook is handed out as soon as it is ready.
                futures = {}
                for assignment, student, _ in selected:
                    for job in self._stage(staging, assignment, student, others):
                        futures[client.submit(run_notebook, job.payload, pure=False,
                                              key=f"{job.assignment}-{job.student}-{job.notebook}")] = job
                for job, result in self._collect(futures):
                    if result.get("grader_failure"):
                        raise execute.GraderFailure(f"grading stopped, nothing was recorded: {result['error']}")
                    target = replay / job.student / job.assignment / f"{job.notebook}.ipynb"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(result["notebook"])
                    outcome = outcomes[(job.assignment, job.student)]
                    outcome.seconds += result["seconds"]
                    outcome.problems += job.notes + ([result["error"]] if result["error"] else [])
                    outcome.problems += execute.grader_problems(nbformat.reads(result["notebook"], as_version=4))
            self.say(f"ran {len(futures)} notebooks in {time.monotonic() - started:.0f} s; "
                     "recording grades and writing feedback with nbgrader")
            for assignment in assignments:
                graded_now = [o for (a, _), o in sorted(outcomes.items()) if a == assignment]
                if graded_now:
                    self._record(assignment, staging / "submitted", replay, graded_now)
            for assignment, student, fingerprint in selected:
                state.setdefault(assignment, {})[student] = fingerprint
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            self.state_path.write_text(json.dumps(state, indent=1))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        with self.course.gradebook() as gradebook:
            for (assignment, student), outcome in outcomes.items():
                submission = gradebook.find_submission(assignment, student)
                outcome.score, outcome.max_score = submission.code_score, submission.max_code_score
        self.say(f"graded {len(outcomes)} submissions in {time.monotonic() - started:.0f} s")
        return list(outcomes.values())

    def _stage(self, staging, assignment, student, others):
        folder = staging / "submitted" / student / assignment
        staged = intake.stage_submission(self.root / "submitted" / student / assignment, folder, assignment,
                                         self.release_notebooks(assignment),
                                         {a: ids for a, ids in others.items() if a != assignment})
        files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
                 if p.is_file() and p.suffix != ".ipynb" and p.name != "timestamp.txt"}
        jobs = []
        for name, path in staged.notebooks.items():
            try:
                prepared = prepare(path, self.config, self.course.db_url(), assignment, student, name)
            except Exception as error:  # nbgrader cannot restore its cells: grade the blank release
                note = (f"The nbgrader data of your `{name}.ipynb` is damaged ({type(error).__name__}: {error}), "
                        "so its tests could not be put back: nothing could be graded, every test scores 0. "
                        "Hand in a notebook made from the release, with its cells kept (copy your answers across).")
                blank = nbformat.read(self.release_notebooks(assignment)[name], as_version=4)
                blank.cells.insert(0, intake.note_cell([note]))
                nbformat.write(blank, path)
                staged.notes.append(note)
                prepared = prepare(path, self.config, self.course.db_url(), assignment, student, name)
            payload = {"assignment": assignment, "student": student, "name": name, "files": files,
                       "notebook": nbformat.writes(prepared), "options": self.options,
                       "seed": seeds.notebook_seed(self.secret, assignment, student)}
            jobs.append(Job(assignment, student, name, payload, staged.notes))
        return jobs

    @contextlib.contextmanager
    def _client(self):
        """A Dask client: on the given scheduler, else on a local cluster of one worker per core."""
        from dask.distributed import Client, LocalCluster

        if self.scheduler:
            with Client(self.scheduler) as client:
                yield client
            return
        environment = {name: value for name, value in os.environ.items()
                       if name.startswith(("AECOURSE_", "TF_")) or name == "PATH"}
        with LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          env=environment, silence_logs=40) as cluster, Client(cluster) as client:
            yield client

    def _collect(self, futures):
        """Yield (job, result) as the workers finish, with a progress bar (done / total, failures)."""
        from dask.distributed import as_completed
        from tqdm.auto import tqdm

        failures = 0
        with tqdm(total=len(futures), unit="notebook", desc="grading", disable=not self.progress) as bar:
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # a worker lost: record it, keep grading the class
                    result = {"notebook": job.payload["notebook"], "seconds": 0.0,
                              "error": f"the grading worker failed: {type(error).__name__}: {error}"}
                failures += bool(result["error"])
                bar.set_postfix(failures=failures)
                bar.update()
                yield job, result

    def _record(self, assignment, staged_root, replay, outcomes):
        """One nbgrader autograde (outputs replayed), the grader's notes as gradebook comments, and one
        generate_feedback, for these students only."""
        students = [o.student for o in outcomes]
        self.course.run("autograde", assignment, "--force", f"--CourseDirectory.submitted_directory={staged_root}",
                        env={execute.REPLAY_ENV: str(replay)})
        self._comment(assignment, {o.student: o.problems for o in outcomes if o.problems})
        others = sorted(p.parent.name for p in (self.root / "autograded").glob(f"*/{assignment}")
                        if p.parent.name not in students)
        exclude = [f"--CourseDirectory.student_id_exclude={','.join(others)}"] if others else []
        self.course.run("generate_feedback", assignment, "--force", *exclude)

    def _comment(self, assignment, problems):
        """Write what went wrong into the gradebook: the automatic comment of each notebook's first
        commented cell, which the formgrader and the feedback show."""
        with self.course.gradebook() as gradebook:
            for student, notes in problems.items():
                for notebook in gradebook.find_submission(assignment, student).notebooks:
                    if notebook.comments:
                        notebook.comments[0].auto_comment = "Grader's note: " + " ".join(notes)
            gradebook.db.commit()
