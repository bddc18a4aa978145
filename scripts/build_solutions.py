"""Thin wrapper for `aecourse-build-solutions` (aecourse.tools.build_solutions): same options."""

from aecourse.tools.build_solutions import main

if __name__ == "__main__":
    raise SystemExit(main())
