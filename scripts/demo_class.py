"""Thin wrapper for `aecourse-demo-class` (aecourse.tools.demo_class): same options."""

from aecourse.tools.demo_class import main

if __name__ == "__main__":
    raise SystemExit(main())
