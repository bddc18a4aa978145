"""What of a student's hand-in the grader may touch: plain data files, nothing else.

A file handed in beside the notebook is *data*: it may be read by the student's code inside
the jail, never imported by the grader nor followed out of the folder. So a hand-in keeps only
regular files with a single name (no symbolic link, no hard link to some other file, no
device, FIFO or socket) that Python cannot import or run at start-up (no ``.py``, ``.pth``,
extension module, ``sitecustomize``/``usercustomize``). Every file left out gets a reason,
which the grader's note shows the student.

Every check looks at the entry itself (``lstat``): no step here follows a link.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

#: Suffixes Python imports, runs or follows at start-up.
CODE_SUFFIXES = {".py", ".pyc", ".pyo", ".pyw", ".pyd", ".so", ".pth", ".egg", ".whl"}
CODE_NAMES = {"sitecustomize", "usercustomize", "__pycache__"}
#: Settings files a library reads from the working folder when the notebook's locked set-up imports
#: it (matplotlib reads ./matplotlibrc): handed in, they would change the instructor's own cells.
STARTUP_SETTINGS = {"matplotlibrc"}


def refusal(path: Path) -> str | None:
    """Why ``path`` (one entry of a hand-in) is not kept as data; None when it is a plain data file."""
    try:
        info = os.lstat(path)
    except OSError as error:
        return f"it could not be read ({error.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if path.name in STARTUP_SETTINGS:
        return "it is a settings file that a library reads at import, in the notebook's own set-up"
    if path.name in CODE_NAMES:
        return "it is Python code or a Python start-up file; only data files are kept beside the notebook"
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file (a device, FIFO or socket)"
    if info.st_nlink > 1:
        return "it is a hard link to another file"
    if path.suffix.lower() in CODE_SUFFIXES or path.stem in CODE_NAMES:
        return "it is Python code or a Python start-up file; only data files are kept beside the notebook"
    return None


def walk(folder: Path):
    """Yield every entry under ``folder`` (files, links, special files), never entering a linked folder."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        for name in filenames:
            yield here / name
        for name in list(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)
                yield here / name
            elif name in CODE_NAMES:
                dirnames.remove(name)
                yield here / name


def sort_out(folder: Path, skip_suffixes=(), limit_bytes=None) -> tuple[list[Path], dict[Path, str]]:
    """(plain data files, {entry left out: why}) under ``folder``, as paths relative to it; past
    ``limit_bytes`` in all, the larger files are left out too."""
    kept, refused, total = [], {}, 0
    for path in sorted(walk(folder), key=lambda p: os.lstat(p).st_size):
        why = refusal(path)
        if why is None and limit_bytes is not None and path.suffix not in skip_suffixes:
            total += path.stat().st_size
            if total > limit_bytes:
                why = f"the files handed in are larger than the {limit_bytes / 2 ** 20:g} MB a notebook may have"
        if why:
            refused[path.relative_to(folder)] = why
        elif path.suffix not in skip_suffixes:
            kept.append(path.relative_to(folder))
    return sorted(kept), refused


def notes(refused: dict[Path, str]) -> list[str]:
    """The grader's note lines for the files left out of a hand-in."""
    return [f"Your file `{path}` was set aside and not given to your notebook: {why}." for path, why in
            sorted(refused.items())]


def strip(folder: Path) -> dict[Path, str]:
    """Remove from ``folder`` (a folder the grader writes, e.g. autograded/) every entry that is
    not a plain data file; returns {entry removed: why}."""
    _, refused = sort_out(folder, skip_suffixes=(".ipynb",))
    for relative in refused:
        remove(folder / relative)
    for dirpath, _, _ in sorted(os.walk(folder), reverse=True):  # the folders left empty
        if Path(dirpath) != folder and not os.listdir(dirpath):
            os.rmdir(dirpath)
    return refused


def remove(path: Path) -> None:
    """Remove a file, link, special file or folder, never following a link."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink()


#: The largest notebook the grader reads (nbgrader's own limit for the files it copies).
NOTEBOOK_BYTES_LIMIT = 100 * 2 ** 20
TIMESTAMP_BYTES_LIMIT = 1024


def read_plain(path: Path, limit_bytes: int) -> tuple[bytes | None, str | None]:
    """(content, None) of a plain data file, or (None, why not): opened without following a link
    and without blocking on a FIFO, checked on the opened file, read up to ``limit_bytes``."""
    why = refusal(path)
    if why:
        return None, why
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return None, f"it could not be read ({error.strerror})"
    with os.fdopen(descriptor, "rb") as file:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
            return None, "it is not a regular file (a device, FIFO or socket)"
        content = file.read(limit_bytes + 1)
    if len(content) > limit_bytes:
        return None, f"it is larger than the {limit_bytes / 2 ** 20:g} MB a notebook may have"
    return content, None


def refused_notebook(path: Path) -> str | None:
    """Why the notebook file handed in at ``path`` is not graded; None when it is a plain file."""
    return read_plain(path, NOTEBOOK_BYTES_LIMIT)[1] if os.path.lexists(path) else None


def guarded_notebook_exporter():
    """nbgrader's notebook exporter (``c.Autograde.exporter_class``) that reads a notebook only if
    it is a plain file: a notebook handed in as a link to /dev/zero, a FIFO or a device is never read
    (nbconvert's own ``open`` would read it for ever). In its place comes the assignment's release
    notebook (what the student was given), which :func:`admit` then grades as not handed in, saying why."""
    import datetime

    import nbformat
    from nbconvert.exporters import NotebookExporter

    class PlainFileNotebookExporter(NotebookExporter):
        def from_filename(self, filename, resources=None, **kw):
            path = Path(filename)
            content, _ = read_plain(path, NOTEBOOK_BYTES_LIMIT)
            resources = resources if resources is not None else {}
            if not resources.get("metadata"):
                resources["metadata"] = {}
            modified = datetime.datetime.fromtimestamp(os.lstat(path).st_mtime, tz=datetime.timezone.utc)
            resources["metadata"].update(name=path.stem, path=str(path.parent),
                                         modified_date=modified.strftime("%B %-d, %Y"))
            if content is None:
                coursedir = self.parent.coursedir
                content = Path(coursedir.format_path(coursedir.release_directory, ".", path.parent.name),
                               path.name).read_bytes()
            return self.from_notebook_node(nbformat.reads(content.decode("utf-8"), as_version=4), resources, **kw)

    return PlainFileNotebookExporter


def guard_nbgrader_copies() -> None:
    """Make nbgrader's own reads of a hand-in follow no link: its copies (submitted/ -> autograded/ ->
    feedback/, by ``shutil.copy``, which follows links) skip every entry that is not a plain file, and a
    ``timestamp.txt`` that is not one is not read (the submission then has no time stamp, with a warning):
    a link to the gradebook or to /dev/zero is never read. nbgrader has no setting for these, so its file
    finder and its time-stamp reader are wrapped; call it from nbgrader_config.py. (The notebook itself is
    read by :func:`guarded_notebook_exporter`, a setting.)"""
    from nbgrader.converters import base
    from nbgrader.coursedir import CourseDirectory

    if getattr(base.find_all_files, "plain_only", False):
        return
    read_timestamp = CourseDirectory.get_existing_timestamp

    def plain_timestamp(self, dest_path):
        path = Path(dest_path) / "timestamp.txt"
        if os.path.lexists(path):
            _, why = read_plain(path, TIMESTAMP_BYTES_LIMIT)
            if why:
                self.log.warning("%s was not read: %s; the submission has no time stamp", path, why)
                return None
        return read_timestamp(self, dest_path)

    CourseDirectory.get_existing_timestamp = plain_timestamp
    original = base.find_all_files

    def find_plain_files(path, exclude=None):
        kept = []
        for name in original(path, exclude):
            info = os.lstat(name)
            if stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and not _in_linked_folder(Path(name), Path(path)):
                kept.append(name)
        return kept

    find_plain_files.plain_only = True
    base.find_all_files = find_plain_files


def _in_linked_folder(path: Path, top: Path) -> bool:
    return any(parent.is_symlink() for parent in path.parents if top in parent.parents)


def admit(nb, resources, config) -> str | None:
    """Keep the hand-in to plain data: a notebook handed in as a link is not graded (the reason is
    returned); whatever else is not plain data (links, hard links, special files, code) is taken
    out of the folder the kernel starts from (nbgrader copied the hand-in there), with a grader's note."""
    from nbgrader.coursedir import CourseDirectory

    from aecourse.grading.intake import note_cell  # intake uses this module

    grading, folder = resources.get("nbgrader", {}), resources.get("metadata", {}).get("path")
    if not folder or "student" not in grading:
        return None
    coursedir = CourseDirectory(config=config)
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, grading["student"], grading["assignment"]))
    notebook = submitted / f"{grading['notebook']}.ipynb"
    why = refused_notebook(notebook)
    if why:
        return (f"your `{notebook.name}` was not graded: {why}. Hand in the notebook file itself, saved from "
                "JupyterLab.")
    refused = sort_out(submitted, skip_suffixes=(".ipynb",))[1] if submitted.is_dir() else {}
    if Path(folder).resolve() != submitted.resolve():
        for relative in refused:
            remove(Path(folder) / relative)
        refused.update(strip(Path(folder)))
    if refused:
        nb.cells.insert(0, note_cell(notes(refused)))
    return None
