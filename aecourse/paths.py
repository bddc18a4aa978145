"""Where the kit keeps things, wherever a notebook runs from (release/, autograded/, a temp dir)."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


def cardiac_h5():
    """The prepared cardiac data set: $AECOURSE_CARDIAC_H5, else data/cardiac_128.h5."""
    return Path(os.environ.get("AECOURSE_CARDIAC_H5", DATA_DIR / "cardiac_128.h5"))
