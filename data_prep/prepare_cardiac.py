"""Thin wrapper for `aecourse-prepare-cardiac` (aecourse.tools.prepare_cardiac): same options."""

from aecourse.tools.prepare_cardiac import main

if __name__ == "__main__":
    raise SystemExit(main())
