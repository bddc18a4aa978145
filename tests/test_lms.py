"""Grades for Canvas and Moodle (aecourse/grading/lms.py), read back with csv from a small gradebook
built with nbgrader's own API; bad input gets an error that names the file and the fix."""

import csv
import shutil

import pytest

from aecourse.course import Course
from aecourse.grading import cli, lms

MNIST, CARDIAC = "mnist_autoencoders", "cardiac_vae"
# assignment: (points of its test cell, points of its written question)
POINTS = {MNIST: (3, 2), CARDIAC: (6, 1)}
# student: {assignment: (test cell score, written score; None: awaits a grader)}; no entry: nothing handed in
WORK = {"alice": {MNIST: (3, 1.5), CARDIAC: (2, 1)},
        "bob": {MNIST: (1, None)},
        "carol": {MNIST: (0, 0), CARDIAC: (6, 1)}}
IDS = "nbgrader_id,lms_id,email\nalice,S100,\nbob,S200,\ncarol,S300,carol@uni.example\n"


@pytest.fixture(scope="module")
def class_gradebook(tmp_path_factory):
    """The small class's gradebook.db, built once (nbgrader creates a database in seconds, not at once)."""
    root = tmp_path_factory.mktemp("gradebook")
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    course = Course(root)
    with course.gradebook() as gradebook:
        for assignment, (code, written) in POINTS.items():
            gradebook.add_assignment(assignment)
            gradebook.add_notebook(assignment, assignment)
            gradebook.add_grade_cell("test_cell", assignment, assignment, max_score=code, cell_type="code")
            gradebook.add_grade_cell("question", assignment, assignment, max_score=written, cell_type="markdown")
        gradebook.add_student("alice", first_name="Alice", last_name="Smith", email="alice@uni.example")
        gradebook.add_student("bob", first_name="Bob", last_name="Jones", email="bob@uni.example")
        gradebook.add_student("carol")  # no name, no email
        for student, work in WORK.items():
            for assignment, (code, written) in work.items():
                gradebook.add_submission(assignment, student)
                test_cell = gradebook.find_grade("test_cell", assignment, assignment, student)
                test_cell.auto_score, test_cell.needs_manual_grade = code, False
                if written is not None:
                    question = gradebook.find_grade("question", assignment, assignment, student)
                    question.manual_score, question.needs_manual_grade = written, False
        gradebook.db.commit()
    return root / "gradebook.db"


@pytest.fixture
def course(class_gradebook, tmp_path):
    """A course root of its own for each test, with a copy of the class's gradebook."""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    shutil.copy(class_gradebook, tmp_path / "gradebook.db")
    return Course(tmp_path)


def read(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_canvas_file_with_an_id_map(course, tmp_path):
    (tmp_path / "ids.csv").write_text(IDS)
    path, notes = lms.export(course, "canvas", id_map_path=tmp_path / "ids.csv")
    assert path == course.root / "grades-canvas.csv"
    assert read(path) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", MNIST, CARDIAC],
        ["Points Possible", "", "", "", "", "5", "7"],
        ["Smith, Alice", "", "S100", "", "", "4.5", "3"],  # 3 + 1.5 and 2 + 1
        ["Jones, Bob", "", "S200", "", "", "", ""],  # written answer awaits a grader; nothing handed in
        ["carol", "", "S300", "", "", "0", "7"]]
    assert notes == ["1 submission with answers awaiting a grader: left empty "
                     "(grade them in the formgrader, or pass --include-ungraded)"]


def test_canvas_assignment_ids_login_ids_and_partial_totals(course, tmp_path):
    (tmp_path / "ids.csv").write_text(IDS)
    path, _ = lms.export(course, "canvas", out=tmp_path / "c.csv", id_map_path=tmp_path / "ids.csv",
                         field="sis_login_id", include_ungraded=True, canvas_ids={MNIST: "4711"})
    header, points, alice, bob, _ = read(path)
    assert header[5:] == [f"{MNIST} (4711)", CARDIAC]
    assert alice[:5] == ["Smith, Alice", "", "", "S100", ""] and bob[5] == "1"


def test_moodle_file_by_id_number_and_by_email(course, tmp_path):
    (tmp_path / "ids.csv").write_text(IDS)
    path, _ = lms.export(course, "moodle", id_map_path=tmp_path / "ids.csv")
    assert read(path) == [["ID number", MNIST, CARDIAC], ["S100", "4.5", "3"], ["S200", "", ""], ["S300", "0", "7"]]
    # by email: the map's email, else the gradebook's
    path, _ = lms.export(course, "moodle", id_map_path=tmp_path / "ids.csv", field="email")
    assert [row[0] for row in read(path)] == ["Email address", "alice@uni.example", "bob@uni.example",
                                              "carol@uni.example"]


def test_the_course_root_map_is_the_default(course):
    (course.root / lms.DEFAULT_MAP).write_text(IDS)
    path, _ = lms.export(course, "moodle")
    assert [row[0] for row in read(path)][1:] == ["S100", "S200", "S300"]


def test_a_student_missing_from_the_map_is_an_error_naming_the_file(course, tmp_path):
    ids = tmp_path / "ids.csv"
    ids.write_text("nbgrader_id,lms_id\nalice,S100\n")
    with pytest.raises(lms.LmsExportError) as error:
        lms.export(course, "canvas", id_map_path=ids)
    assert str(ids) in str(error.value) and "bob, carol" in str(error.value)
    assert "add a line nbgrader_id,lms_id" in str(error.value)
    assert not (course.root / "grades-canvas.csv").exists(), "no file with rows the LMS cannot place"


def test_without_a_map_every_student_needs_an_email(course):
    with pytest.raises(lms.LmsExportError) as error:
        lms.export(course, "moodle")
    message = str(error.value)
    assert "carol" in message and "alice" not in message and str(course.root / "gradebook.db") in message
    assert "nbgrader db student import" in message and "--map" in message
    with pytest.raises(lms.LmsExportError, match="--match idnumber needs an id map"):
        lms.export(course, "moodle", field="idnumber")


@pytest.mark.parametrize("text, expected", [
    ("student,id\nalice,S1\n", "its first line must be the header nbgrader_id,lms_id"),
    ("nbgrader_id,lms_id\nalice,\n", "line 2: both nbgrader_id and lms_id are needed"),
    ("nbgrader_id,lms_id\nalice,S1\nalice,S2\n", "line 3: alice is listed twice")])
def test_a_bad_map_names_the_file_and_line(course, tmp_path, text, expected):
    (tmp_path / "ids.csv").write_text(text)
    with pytest.raises(lms.LmsExportError, match=expected) as error:
        lms.export(course, "canvas", id_map_path=tmp_path / "ids.csv")
    assert str(tmp_path / "ids.csv") in str(error.value)


def test_missing_gradebook_and_map(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert lms.main(["--format", "canvas", "--root", str(tmp_path)]) == 2
    assert f"no gradebook at {tmp_path / 'gradebook.db'}: grade the class first" in capsys.readouterr().err
    assert not (tmp_path / "gradebook.db").exists(), "reading must not create an empty gradebook"
    assert lms.main(["--format", "canvas", "--root", str(tmp_path), "--map", str(tmp_path / "no.csv")]) == 2
    assert f"no id map at {tmp_path / 'no.csv'}" in capsys.readouterr().err


def test_command_line(course, tmp_path, capsys):
    (tmp_path / "ids.csv").write_text(IDS)
    assert lms.main(["--format", "canvas", "--root", str(course.root), "--map", str(tmp_path / "ids.csv"),
                     "--canvas-id", f"{CARDIAC}=99", CARDIAC]) == 0
    assert read(course.root / "grades-canvas.csv")[0][5:] == [f"{CARDIAC} (99)"]
    assert f"Grades for Canvas: {course.root / 'grades-canvas.csv'}" in capsys.readouterr().out
    assert lms.main(["--format", "moodle", "--root", str(course.root), "--map", str(tmp_path / "ids.csv"),
                     "--match", "sis_user_id"]) == 2
    assert "moodle matches on idnumber, username, email" in capsys.readouterr().err


def test_make_grade_writes_both_files_or_says_why_not(course, monkeypatch, capsys):
    monkeypatch.setattr(cli.ClassGrader, "grade", lambda self, assignments, student: [])  # nothing to grade
    monkeypatch.setattr(course.__class__, "export_grades", lambda self, path: path)  # nbgrader export: not tested here
    root = str(course.root)
    assert cli.main(["--root", root]) == 1  # carol has no email: the grade files are not written
    assert "LMS grade files not written: no email for 1 student of the gradebook (carol)" in capsys.readouterr().err
    (course.root / lms.DEFAULT_MAP).write_text(IDS)
    assert cli.main(["--root", root]) == 0
    assert "Grades for Canvas" in capsys.readouterr().out
    assert read(course.root / "grades-canvas.csv")[2][2] == "S100"  # alice's SIS User ID
    assert read(course.root / "grades-moodle.csv")[1][0] == "S100"  # her ID number


def test_make_grade_without_emails_or_map_writes_none(tmp_path, monkeypatch, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    course = Course(tmp_path)
    with course.gradebook() as gradebook:
        gradebook.add_student("dave")
    assert lms.write_for_grading(course) == [
        "LMS grade files not written: no lms_ids.csv in the course root and no emails in the gradebook "
        "(see aecourse-export-lms --help)"]
    assert not (tmp_path / "grades-canvas.csv").exists()
