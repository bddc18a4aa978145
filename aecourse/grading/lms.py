"""``aecourse-export-lms``: the gradebook's grades as a CSV file that Canvas or Moodle imports.

    aecourse-export-lms --format canvas                      # grades-canvas.csv in the course root
    aecourse-export-lms --format moodle --map ids.csv --match username --out moodle.csv

One row per student of the gradebook, one column per assignment (its total score). An empty
cell means no grade: the student handed nothing in, or written answers still await a grader
(``--include-ungraded`` writes the partial total instead).

Which student is which in the LMS: the ``lms_id`` of an id map (``--map``, default
``lms_ids.csv`` in the course root when it exists), a CSV with the header
``nbgrader_id,lms_id[,email]``; without one, each student's email in the gradebook (``nbgrader db
student import roster.csv`` with an ``email`` column). ``--match`` names the LMS field that
identifier is. A student of the gradebook with no identifier is an error naming the file and
the fix, never a row the LMS cannot place.

The formats, as documented:

* Canvas, *Grades > Import*: columns ``Student`` (the name, "Last, First"), ``ID`` (Canvas's user
  id), ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment, named
  ``Assignment Name (assignment id)`` as Canvas exports them; a ``Points Possible`` row under the
  header gives an assignment Canvas creates from the file its points. Canvas matches a student by
  ``ID``, then ``SIS User ID``, then ``SIS Login ID``, then the name; an assignment by the id in
  parentheses, then by its exact title, else it creates one. An empty cell (or ``-``) is no score.
  https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades
  https://nemogb-dev.github.io/nemogb-r/articles/detailed-canvas-export-info.html
  and Canvas's importer, instructure/canvas-lms ``app/models/gradebook_importer.rb``.
* Moodle, *Grades > Import > CSV file*: a header row; the teacher maps one column to the user
  field it holds ("Map from" / "Map to": ``userid``, ``username``, ``useridnumber`` or
  ``useremail``) and each other column to a grade item (or a new one, named after the column). An
  empty cell or ``-`` is no grade; a row whose user is not found stops the whole import.
  https://docs.moodle.org/311/en/Grade_import
  and Moodle's importer, moodle/moodle ``grade/import/csv/classes/load_data.php``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from aecourse.course import ASSIGNMENTS, Course, GradebookMissing

DEFAULT_MAP = "lms_ids.csv"
MAP_COLUMNS = ("nbgrader_id", "lms_id")
# --match: the LMS field the identifier is -> the column it is written in
CANVAS_FIELDS = {"sis_user_id": "SIS User ID", "sis_login_id": "SIS Login ID", "canvas_id": "ID"}
MOODLE_FIELDS = {"idnumber": "ID number", "username": "Username", "email": "Email address"}
FIELDS = {"canvas": CANVAS_FIELDS, "moodle": MOODLE_FIELDS}
# Without a map the identifier is an email: the field that holds it (Canvas's login is often the email)
EMAIL_FIELD = {"canvas": "sis_login_id", "moodle": "email"}
DEFAULT_FIELD = {"canvas": "sis_user_id", "moodle": "idnumber"}


class LmsExportError(RuntimeError):
    """Bad input for the export; the message names the file and the fix."""


@dataclass
class StudentGrades:
    student: str  # nbgrader id
    name: str  # "Last, First", or the id when the gradebook has no name
    email: str | None
    scores: dict  # assignment -> total score; None: no grade to give yet


@dataclass(frozen=True)
class MapEntry:
    lms_id: str
    email: str | None


def read_id_map(path) -> dict:
    """{nbgrader_id: MapEntry} from a CSV with the header nbgrader_id,lms_id[,email]."""
    path = Path(path)
    if not path.is_file():
        raise LmsExportError(f"no id map at {path}: write one with the header nbgrader_id,lms_id[,email] "
                             "(one line per student), or leave --map out to match students by email")
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        if not set(MAP_COLUMNS) <= set(reader.fieldnames or ()):
            raise LmsExportError(f"{path}: its first line must be the header nbgrader_id,lms_id[,email]; "
                                 f"it is {','.join(reader.fieldnames or ['(empty)'])}")
        entries = {}
        for line, row in enumerate(reader, start=2):
            student, lms_id = (row["nbgrader_id"] or "").strip(), (row["lms_id"] or "").strip()
            if not student or not lms_id:
                raise LmsExportError(f"{path}, line {line}: both nbgrader_id and lms_id are needed")
            if student in entries:
                raise LmsExportError(f"{path}, line {line}: {student} is listed twice; keep one line")
            entries[student] = MapEntry(lms_id, (row.get("email") or "").strip() or None)
    return entries


def course_order(assignment):
    return (ASSIGNMENTS.index(assignment) if assignment in ASSIGNMENTS else len(ASSIGNMENTS), assignment)


def class_grades(course: Course, assignments=None, include_ungraded=False):
    """([(assignment, max score)], [StudentGrades], notes) from the gradebook."""
    from nbgrader.api import MissingEntry

    notes = []
    with course.existing_gradebook() as gradebook:
        known = {a.name: a for a in gradebook.assignments}
        unknown = sorted(set(assignments or ()) - set(known))
        if unknown:
            raise LmsExportError(f"no assignment {', '.join(unknown)} in the gradebook ({gradebook_name(course)}): "
                                 f"it has {', '.join(sorted(known, key=course_order)) or 'none'}")
        names = sorted(assignments or known, key=course_order)
        columns = [(name, known[name].max_score) for name in names]
        awaiting = 0
        students = []
        for student in sorted(gradebook.students, key=lambda s: s.id):
            scores = {}
            for name in names:
                try:
                    submission = gradebook.find_submission(name, student.id)
                except MissingEntry:  # nothing handed in
                    scores[name] = None
                    continue
                waits = submission.needs_manual_grade and not include_ungraded
                awaiting += submission.needs_manual_grade
                scores[name] = None if waits else round(submission.score, 2)
            full_name = ", ".join(n for n in (student.last_name, student.first_name) if n) or student.id
            students.append(StudentGrades(student.id, full_name, student.email or None, scores))
    if awaiting:
        notes.append(f"{counted(awaiting, 'submission')} with answers awaiting a grader: "
                     + ("their partial totals are written" if include_ungraded else
                        "left empty (grade them in the formgrader, or pass --include-ungraded)"))
    return columns, students, notes


def identifier(student: StudentGrades, id_map, use_email):
    """The map's lms_id; or the email: the map's, else the gradebook's. None if there is none."""
    entry = (id_map or {}).get(student.student)
    if use_email:
        return (entry.email if entry else None) or student.email
    return entry.lms_id if entry else None


def identifiers(students, id_map, use_email, map_path, gradebook):
    """{nbgrader id: LMS identifier}; a student without one is an error that says the fix."""
    found = {s.student: identifier(s, id_map, use_email) for s in students}
    missing = [student for student, value in found.items() if not value]
    if not missing:
        return found
    who = f"{counted(len(missing), 'student')} of the gradebook ({', '.join(missing)})"
    if not use_email:
        raise LmsExportError(f"{map_path} has no line for {who}: add a line nbgrader_id,lms_id for each, "
                             "then export again")
    raise LmsExportError(f"no email for {who} in {gradebook}" + (f" or {map_path}" if map_path else "")
                         + ": add their emails (nbgrader db student import roster.csv, with the columns "
                         "id,first_name,last_name,email), or pass --map ids.csv (header nbgrader_id,lms_id[,email])")


def gradebook_name(course):
    """The gradebook's file, or its URL without a password."""
    url = course.db_url()
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def counted(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def fmt(score):
    return "" if score is None else f"{score:g}"


def canvas_rows(columns, students, ids, field, canvas_ids=None):
    """Header, the Points Possible row, one row per student."""
    canvas_ids = canvas_ids or {}
    titles = [f"{name} ({canvas_ids[name]})" if name in canvas_ids else name for name, _ in columns]
    id_columns = ["ID", "SIS User ID", "SIS Login ID"]
    rows = [["Student", *id_columns, "Section", *titles],
            ["Points Possible", "", "", "", "", *(fmt(maximum) for _, maximum in columns)]]
    for s in students:
        placed = [ids[s.student] if column == CANVAS_FIELDS[field] else "" for column in id_columns]
        rows.append([s.name, *placed, "", *(fmt(s.scores[name]) for name, _ in columns)])
    return rows


def moodle_rows(columns, students, ids, field):
    """Header (the identifier's column, then the assignments), one row per student."""
    rows = [[MOODLE_FIELDS[field], *(name for name, _ in columns)]]
    rows += [[ids[s.student], *(fmt(s.scores[name]) for name, _ in columns)] for s in students]
    return rows


def export(course: Course, lms: str, out=None, id_map_path=None, field=None, assignments=None,
           include_ungraded=False, canvas_ids=None):
    """Write the ``lms`` ("canvas" or "moodle") file; (its path, notes for the user)."""
    default_map = course.root / DEFAULT_MAP
    map_path = Path(id_map_path) if id_map_path else default_map if default_map.is_file() else None
    id_map = read_id_map(map_path) if map_path else None
    field = field or (DEFAULT_FIELD[lms] if id_map is not None else EMAIL_FIELD[lms])
    if field not in FIELDS[lms]:
        raise LmsExportError(f"--match {field}: {lms} matches on {', '.join(FIELDS[lms])}")
    if id_map is None and field != EMAIL_FIELD[lms]:
        raise LmsExportError(f"--match {field} needs an id map (--map ids.csv, header nbgrader_id,lms_id[,email]): "
                             f"without one the students' emails are the identifiers (--match {EMAIL_FIELD[lms]})")
    use_email = id_map is None or field == "email"
    try:
        columns, students, notes = class_grades(course, assignments, include_ungraded)
    except GradebookMissing as error:
        raise LmsExportError(str(error)) from None
    ids = identifiers(students, id_map, use_email, map_path, gradebook_name(course))
    rows = (canvas_rows(columns, students, ids, field, canvas_ids) if lms == "canvas"
            else moodle_rows(columns, students, ids, field))
    path = Path(out) if out else course.root / f"grades-{lms}.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    return path, notes


def write_for_grading(course: Course, id_map_path=None):
    """``aecourse-grade``'s LMS files, grades-canvas.csv and grades-moodle.csv in the course root;
    the lines to print. With neither an id map nor any email in the gradebook it writes nothing
    and says so: that course imports no grades into an LMS."""
    if id_map_path is None and not (course.root / DEFAULT_MAP).is_file():
        try:
            with course.existing_gradebook() as gradebook:
                emails = any(student.email for student in gradebook.students)
        except GradebookMissing as error:
            raise LmsExportError(str(error)) from None
        if not emails:
            return [f"LMS grade files not written: no {DEFAULT_MAP} in the course root and no emails in "
                    "the gradebook (see aecourse-export-lms --help)"]
    lines = []
    for lms in sorted(FIELDS):
        path, notes = export(course, lms, id_map_path=id_map_path)
        lines.append(f"Grades for {lms.capitalize()}: {path}")
    return lines + [f"Note: {note}" for note in notes]


def canvas_assignment_id(text):
    name, _, number = text.partition("=")
    if not name or not number.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: expected ASSIGNMENT=CANVAS_ID, e.g. mnist_autoencoders=4711")
    return name, number.strip()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="aecourse-export-lms", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("assignments", nargs="*", help="default: every assignment in the gradebook")
    parser.add_argument("--format", required=True, choices=sorted(FIELDS), help="the LMS to import into")
    parser.add_argument("--map", type=Path, help=f"id map, header nbgrader_id,lms_id[,email] (default: "
                                                 f"{DEFAULT_MAP} in the course root, if there; else emails)")
    parser.add_argument("--match", help="the LMS field the identifier is: canvas "
                                        f"{'|'.join(CANVAS_FIELDS)}, moodle {'|'.join(MOODLE_FIELDS)} (default: "
                                        "sis_user_id / idnumber with a map, sis_login_id / email without)")
    parser.add_argument("--out", type=Path, help="the CSV to write (default: grades-<format>.csv in the course root)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course root (holds nbgrader_config.py)")
    parser.add_argument("--include-ungraded", action="store_true",
                        help="write partial totals for submissions whose written answers await a grader")
    parser.add_argument("--canvas-id", type=canvas_assignment_id, action="append", default=[],
                        metavar="ASSIGNMENT=ID", help="Canvas's id of an assignment (its column becomes 'NAME (ID)')")
    args = parser.parse_args(argv)
    course = Course(args.root)
    if not (course.root / "nbgrader_config.py").exists():
        parser.error(f"{course.root} holds no nbgrader_config.py: run from the course root or pass --root")
    try:
        path, notes = export(course, args.format, args.out, args.map, args.match, args.assignments,
                             args.include_ungraded, dict(args.canvas_id))
    except LmsExportError as error:
        print(f"aecourse-export-lms: {error}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"Note: {note}")
    print(f"Grades for {args.format.capitalize()}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
