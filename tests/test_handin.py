"""The hand-in is data (aecourse/grading/handin.py), pages are script-free (sanitize.py), outputs
carry no host path (scrub.py): the rules themselves, without grading."""

import os
import re
import sys
from pathlib import Path

import nbformat

from aecourse.grading import handin, intake, sanitize, scrub


def hand_in(folder: Path, outside: Path) -> Path:
    outside.write_text("the gradebook")
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    (folder / "data").mkdir()
    (folder / "data" / "points.csv").write_text("1,2")
    os.symlink(outside, folder / "answers_backup.html")
    os.symlink(outside.parent, folder / "linked_folder")
    os.link(outside, folder / "hard.txt")
    os.mkfifo(folder / "pipe")
    for name in ("helpers.py", "evil.pth", "sitecustomize.py", "fast.so"):
        (folder / name).write_text("print('ran')")
    (folder / "aecourse").mkdir()
    (folder / "aecourse" / "__init__.py").write_text("print('ran')")
    return folder


def test_only_plain_data_files_are_kept(tmp_path):
    folder = hand_in(tmp_path / "hand-in", tmp_path / "gradebook.db")
    kept, refused = handin.sort_out(folder)
    assert kept == [Path("data/points.csv"), Path("notes.txt")]
    assert refused[Path("answers_backup.html")] == "it is a symbolic link"
    assert refused[Path("linked_folder")] == "it is a symbolic link"
    assert refused[Path("hard.txt")] == "it is a hard link to another file"
    assert "not a regular file" in refused[Path("pipe")]
    assert all("Python" in refused[Path(name)] for name in ("helpers.py", "evil.pth", "sitecustomize.py", "fast.so",
                                                             "aecourse/__init__.py"))


def test_a_settings_file_the_set_up_would_read_is_set_aside(tmp_path):
    """matplotlib reads ./matplotlibrc when the locked set-up cell imports it: not the student's to set."""
    (tmp_path / "matplotlibrc").write_text("backend: module://antigravity\n")
    (tmp_path / "notes.txt").write_text("mine")
    kept, refused = handin.sort_out(tmp_path)
    assert kept == [Path("notes.txt")]
    assert "settings file" in refused[Path("matplotlibrc")]


def test_intake_sets_aside_what_is_not_data_and_a_linked_notebook(tmp_path):
    release = tmp_path / "release.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x = 1", metadata={"nbgrader": {"grade_id": "a", "solution": True}})]), release)
    submitted = hand_in(tmp_path / "submitted" / "ann" / "hw", tmp_path / "gradebook.db")
    os.symlink(release, submitted / "hw.ipynb")
    staged = intake.stage_submission(submitted, tmp_path / "staged", "hw", {"hw": release}, {})
    files = sorted(str(p.relative_to(tmp_path / "staged")) for p in (tmp_path / "staged").rglob("*") if p.is_file())
    assert files == ["data/points.csv", "hw.ipynb", "notes.txt"]
    assert not any(p.is_symlink() for p in (tmp_path / "staged").rglob("*"))
    notes = " ".join(staged.notes)
    assert "`answers_backup.html` was set aside" in notes and "`hw.ipynb` was set aside" in notes
    assert "No `hw.ipynb` was handed in" in notes


def test_nbgrader_copies_only_plain_files(tmp_path):
    from nbgrader.converters import base

    handin.guard_nbgrader_copies()
    folder = hand_in(tmp_path / "hand-in", tmp_path / "gradebook.db")
    found = sorted(os.path.relpath(p, folder) for p in base.find_all_files(str(folder), ["*.ipynb"]))
    assert "answers_backup.html" not in found and "hard.txt" not in found and "pipe" not in found
    assert "notes.txt" in found and "data/points.csv" in found


def test_student_html_loses_scripts_handlers_and_javascript_urls():
    attack = ("<script>alert(1)</script><img src=x onerror=alert(2)><a href='javascript:alert(3)'>a</a>"
              "\n\nText [b](javascript:alert(4))\n")
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(attack),
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("display_data", data={
            "text/html": attack, "image/svg+xml": "<svg onload='alert(5)'><script>alert(6)</script></svg>",
            "application/javascript": "alert(7)"})]),
        nbformat.v4.new_markdown_cell("Math $a<b$ stays.\n\n| x |\n|---|\n| 1 |\n")])
    cleaned = sanitize.sanitize_notebook(notebook)
    page = cleaned.cells[0].source + "".join(cleaned.cells[1].outputs[0].data.values())
    assert not re.search(r"<script", page, re.I)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", page, re.I)
    assert not re.search(r"<[a-z][^>]*=\s*[\"']?\s*javascript:", page, re.I)
    assert "application/javascript" not in cleaned.cells[1].outputs[0].data
    assert "<table>" in cleaned.cells[2].source and "$a&lt;b$" in cleaned.cells[2].source


def test_host_paths_are_scrubbed():
    text = f"{sys.prefix}/lib and {Path.home()}/x and {os.getcwd()}/y"
    assert scrub.scrub(text).count("…") == 3
