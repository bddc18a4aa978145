"""Where the kit keeps its data: one rule, used by the notebooks, the tools and the grader.

The data folder is the first of:

1. an explicit folder: the ``data_dir`` argument of the functions below, or ``--data-dir`` of
   the command-line tools;
2. ``$AECOURSE_DATA`` (a grading sandbox points it at a read-only bound folder);
3. the course data folder ``<course root>/data``, where the course root is
   ``$AECOURSE_COURSE_ROOT``, else the course-kit checkout this package is imported from (an
   editable install: the folder above ``aecourse/`` that holds ``nbgrader_config.py`` and
   ``pyproject.toml``);
4. the per-user data folder (``platformdirs.user_data_dir("aecourse")``: on Linux
   ``~/.local/share/aecourse``, on macOS ``~/Library/Application Support/aecourse``, on
   Windows ``%LOCALAPPDATA%\\aecourse``).

A student's hand-out runs outside the course repository with a regular install, so its data
goes to (4); ``make data`` in the repository writes to (3). Run ``aecourse-data`` to print the
folder in use and why.

Inside it: ``mnist/`` (MNIST: Keras' ``mnist.npz`` or the offline digits) and
``cardiac_<size>.h5`` (the prepared cardiac slices, ``acdc_phantoms/`` when synthetic).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA = "AECOURSE_DATA"
ENV_COURSE_ROOT = "AECOURSE_COURSE_ROOT"
ENV_CARDIAC_SIZE = "AECOURSE_CARDIAC_SIZE"
APP_NAME = "aecourse"
#: Files that mark the root of the course-kit checkout.
CHECKOUT_MARKERS = ("nbgrader_config.py", "pyproject.toml")
DEFAULT_CARDIAC_SIZE = 128  # also aecourse.cardiac.acdc.DEFAULT_SIZE (kept free of h5py here)
PREPARE_CARDIAC = "aecourse-prepare-cardiac"


def _checkout_root() -> Path | None:
    """The course-kit checkout this package is imported from (editable install), else None."""
    candidate = Path(__file__).resolve().parent.parent
    if all((candidate / marker).is_file() for marker in CHECKOUT_MARKERS):
        return candidate
    return None


def course_root() -> Path | None:
    """$AECOURSE_COURSE_ROOT, else the checkout of an editable install, else None."""
    explicit = os.environ.get(ENV_COURSE_ROOT)
    if explicit:
        return Path(explicit).expanduser().resolve()
    return _checkout_root()


def user_data_dir() -> Path:
    """The per-user data folder of the kit (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def data_dir_and_reason(data_dir: str | Path | None = None) -> tuple[Path, str]:
    """The data folder (see the module docstring) and which rule chose it."""
    if data_dir:
        return Path(data_dir).expanduser().resolve(), "given explicitly"
    if os.environ.get(ENV_DATA):
        return Path(os.environ[ENV_DATA]).expanduser().resolve(), f"${ENV_DATA}"
    root = course_root()
    if root is not None:
        why = f"${ENV_COURSE_ROOT}" if os.environ.get(ENV_COURSE_ROOT) else "the course-kit checkout"
        return root / "data", f"course data folder, from {why}"
    return user_data_dir(), "per-user data folder: not in a course checkout"


def data_dir(data_dir: str | Path | None = None) -> Path:
    """The data folder: ``data_dir`` if given, else $AECOURSE_DATA, else the course's, else the user's."""
    return data_dir_and_reason(data_dir)[0]


def mnist_dir(data_dir: str | Path | None = None) -> Path:
    """Where MNIST is cached: ``<data folder>/mnist``."""
    return data_dir_and_reason(data_dir)[0] / "mnist"


def cardiac_size(size: int | str | None = None) -> int:
    """The cardiac slice size: ``size`` if given, else $AECOURSE_CARDIAC_SIZE, else 128."""
    if size is None:
        size = os.environ.get(ENV_CARDIAC_SIZE) or DEFAULT_CARDIAC_SIZE
    try:
        size = int(size)
    except (TypeError, ValueError):
        raise ValueError(f"cardiac size must be a whole number of pixels, not {size!r}"
                         f" (check ${ENV_CARDIAC_SIZE})") from None
    if size < 16 or size % 16:
        raise ValueError(f"cardiac size must be a multiple of 16 (the VAE downsamples 16x), not {size}")
    return size


def cardiac_h5(size: int | None = None, data_dir: str | Path | None = None, must_exist: bool = True) -> Path:
    """The prepared cardiac file ``<data folder>/cardiac_<size>.h5``.

    ``size``: the slice size in pixels (default $AECOURSE_CARDIAC_SIZE, else 128). When the file
    is not there (and ``must_exist``), raises FileNotFoundError with the command that makes it.
    """
    size = cardiac_size(size)
    folder, reason = data_dir_and_reason(data_dir)
    path = folder / f"cardiac_{size}.h5"
    if must_exist and not path.is_file():
        command = PREPARE_CARDIAC if size == DEFAULT_CARDIAC_SIZE else f"{PREPARE_CARDIAC} --size {size}"
        prepared = sorted(p.name for p in folder.glob("cardiac_*.h5")) if folder.is_dir() else []
        have = f" Prepared here: {', '.join(prepared)}." if prepared else ""
        raise FileNotFoundError(
            f"Cardiac data file {path} not found: the {size}x{size} data was never prepared in the "
            f"data folder {folder} ({reason}).{have} Make it with `{command}` (in the course "
            f"repository: `make data` for 128), adding `--acdc /path/to/ACDC` for the real ACDC data "
            f"instead of synthetic phantoms.")
    return path


REPO_ROOT = course_root() or Path.cwd()
"""The course root for the instructor tools (nbgrader runs there): $AECOURSE_COURSE_ROOT, the
checkout of an editable install, else the current folder (nbgrader's own convention)."""
